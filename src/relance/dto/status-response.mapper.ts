import { SessionStatus } from '../status/session-status.reader';
import { StatusResponseDto } from './status-response.dto';

/** The API shape of a session status: absent dates and reasons are explicit nulls. */
export function toStatusResponse(status: SessionStatus): StatusResponseDto {
  return {
    ...status,
    lastConnectionFailure: status.lastConnectionFailure ?? null,
    lastDisconnectReason: status.lastDisconnectReason
      ? {
          code: status.lastDisconnectReason.code,
          name: status.lastDisconnectReason.name,
        }
      : null,
    lastQrScanDate: status.lastQrScanDate ?? null,
    lastLinkedAt: status.lastLinkedAt ?? null,
    linkMethod: status.linkMethod ?? null,
    lastConnectionCheck: status.lastConnectionCheck ?? null,
  };
}
