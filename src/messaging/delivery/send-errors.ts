import { SessionNotConnectedError } from '../../relance/supervisor/session-sender';

const CONNECTION_CLOSED = 428;
/** rc14 rejects with the bare WebSocket close code when a send races the login. */
const WEBSOCKET_ABNORMAL_CLOSURE = 1006;

/** A send that failed because the session was not (or no longer) connected: retry later, never count it against the message. */
export function isConnectionTrouble(error: unknown): boolean {
  if (error instanceof SessionNotConnectedError) return true;
  if (error === WEBSOCKET_ABNORMAL_CLOSURE) return true;
  const status = (error as { output?: { statusCode?: unknown } } | null)?.output
    ?.statusCode;
  return status === CONNECTION_CLOSED;
}

export function describeSendError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return `non-Error rejection (${String(error)})`;
}
