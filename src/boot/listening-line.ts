import { DOCS_PATH } from '../app.setup';

export interface ListeningFacts {
  /** The HOST it listens on. */
  host: string;
  port: number;
  /** Whether the connect page route (GET /connect) exists. */
  hasConnectPage: boolean;
  /** The database, without credentials. */
  database: string;
  /** Where WhatsApp credentials are kept. */
  credentialStore: string;
}

const EVERY_INTERFACE = new Set(['0.0.0.0', '::']);

/** A host to put in a URL a person clicks: every interface is reachable as localhost. */
function urlHost(host: string): string {
  if (EVERY_INTERFACE.has(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function address(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The one boot line an operator needs: where to call, where the docs are, which database and credential store. */
export function listeningLine(facts: ListeningFacts): string {
  const base = `http://${urlHost(facts.host)}:${facts.port}`;
  const urls = [
    `API ${base}/api`,
    `docs ${base}/${DOCS_PATH}`,
    `health ${base}/api/health`,
    ...(facts.hasConnectPage ? [`connect page ${base}/connect`] : []),
  ];
  return `Listening on ${address(facts.host, facts.port)}: ${urls.join(', ')}; database ${facts.database}; WhatsApp credentials ${facts.credentialStore}`;
}
