import { join } from 'node:path';

/**
 * Where the connect page's files are read from. A port so the e2e tests can
 * serve browser modules they compiled themselves, never a stale build.
 */
export abstract class ConnectPageFiles {
  /** connect.html (the template), connect.css and the icon, served as they are. */
  abstract readonly staticDir: string;
  /** The browser modules (*.mjs) compiled from src/connect/client/*.mts. */
  abstract readonly scriptsDir: string;
}

/**
 * The files beside this module after `nest build`: nest-cli.json copies
 * connect/page/ into dist, and TypeScript emits each client/*.mts as an ES
 * module (*.mjs) because of its extension. Run from the TypeScript sources
 * (ts-node, jest), scriptsDir holds only the sources.
 */
export class BuiltConnectPageFiles extends ConnectPageFiles {
  readonly staticDir = join(__dirname, 'page');
  readonly scriptsDir = join(__dirname, 'client');
}
