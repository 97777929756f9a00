import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WHATSAPP_STATUSES } from '../../whatsapp-status';
import type { WhatsAppStatus } from '../../whatsapp-status';
import { STATUS_REASONS, type StatusReason } from '../session-events';

/** `event: status`: the connection changed state. */
export class StatusStreamEventDto {
  @ApiProperty({ enum: WHATSAPP_STATUSES, example: 'disconnected' })
  status: WhatsAppStatus;

  @ApiPropertyOptional({
    example: 1,
    description: 'Present when the count changed: consecutive counted failures',
  })
  connectionFailureCount?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-28T10:15:04.000Z',
    description: 'Present when a reconnect is scheduled',
  })
  nextReconnectAt?: Date;

  @ApiPropertyOptional({
    enum: STATUS_REASONS,
    example: 'threshold',
    description:
      'Why the session stopped: threshold (N consecutive failures, session deleted), force (the user reset), needs_qr (the stored session needs a new scan), qr_expired, pairing_expired (nobody typed the pairing code in time), connection_replaced, user (normal disconnect), not_linked (a link attempt ended before any scan or code). A new QR comes from GET /api/relance/qr, a new pairing code from POST /api/relance/pairing-code.',
  })
  reason?: StatusReason;
}

/** `event: message`: one of the user's follow-up messages changed status. */
export class MessageStreamEventDto {
  @ApiProperty({ example: '5f1c3e8a9b2d4c6e8f0a1b2c3d4e5f60' })
  messageId: string;

  @ApiProperty({ example: 'delivered' })
  status: string;

  @ApiPropertyOptional({
    example: { code: 'SESSION_RESET', reason: 'session_reset' },
  })
  error?: { code: string; reason: string };
}

/** `event: qr`: a new QR code to scan (about every 20 s while linking). */
export class QrStreamEventDto {
  @ApiProperty({ example: '2@ref,noise,identity,adv,platform' })
  qr: string;

  @ApiProperty({ example: 'data:image/png;base64,iVBORw0KGgo…' })
  qrImage: string;
}

/** `event: pairing`: a pairing code to type on the phone instead of scanning a QR. */
export class PairingStreamEventDto {
  @ApiProperty({
    example: 'ABCD-EFGH',
    description:
      'Type it in WhatsApp > Linked devices > Link a device > Link with phone number instead',
  })
  pairingCode: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-28T10:02:40.000Z',
    description: 'After this the code no longer links; ask for a new one',
  })
  expiresAt: string;
}

/** `event: heartbeat`: sent every SSE_HEARTBEAT_MS so proxies keep the stream open. */
export class HeartbeatStreamEventDto {
  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
}
