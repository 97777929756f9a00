import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConnectPageFiles } from '../../src/connect/connect-page-files';

const ROOT = join(__dirname, '..', '..');
const CLIENT_TSCONFIG = join(ROOT, 'src', 'connect', 'client', 'tsconfig.json');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The page's static files from the sources, its browser modules from a fresh compile. */
class FreshConnectPageFiles extends ConnectPageFiles {
  readonly staticDir = join(ROOT, 'src', 'connect', 'page');
  constructor(readonly scriptsDir: string) {
    super();
  }
}

/**
 * Compiles src/connect/client/*.mts for the browser into a temp folder, as
 * the build does, so a browser test never runs a stale dist/. A type error
 * fails the test here with tsc's message.
 */
export async function compileConnectPage(): Promise<ConnectPageFiles> {
  const outDir = await mkdtemp(join(tmpdir(), 'relance-connect-client-'));
  try {
    await promisify(execFile)(process.execPath, [
      TSC,
      '-p',
      CLIENT_TSCONFIG,
      '--outDir',
      outDir,
    ]);
  } catch (error) {
    const { stdout = '', message } = error as {
      stdout?: string;
      message: string;
    };
    throw new Error(
      `The connect page's browser modules do not compile:\n${stdout || message}`,
      { cause: error },
    );
  }
  const modules = (await readdir(outDir)).filter((file) =>
    file.endsWith('.mjs'),
  );
  if (modules.length === 0)
    throw new Error(`tsc emitted no module into ${outDir}`);
  return new FreshConnectPageFiles(outDir);
}
