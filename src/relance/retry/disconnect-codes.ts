/** Baileys' DisconnectReason values (Baileys' `DisconnectReason` enum in lib/Types), named for logs and the API. */
export const DISCONNECT_CODE_NAMES: Readonly<Record<number, string>> = {
  401: 'loggedOut',
  403: 'forbidden',
  405: 'protocolOutdated',
  408: 'connectionLost',
  411: 'multideviceMismatch',
  428: 'connectionClosed',
  440: 'connectionReplaced',
  500: 'badSession',
  503: 'unavailableService',
  515: 'restartRequired',
};

export const RESTART_REQUIRED = 515;
export const CONNECTION_REPLACED = 440;
export const TIMED_OUT = 408;

export function disconnectCodeName(code: number | undefined): string {
  if (code === undefined) return 'noCode';
  return DISCONNECT_CODE_NAMES[code] ?? 'unknown';
}
