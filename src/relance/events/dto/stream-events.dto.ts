import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WHATSAPP_STATUSES } from '../../whatsapp-status';
import type { WhatsAppStatus } from '../../whatsapp-status';

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
    enum: ['needs_qr'],
    description:
      'Present when the stored session needs a new QR scan (call GET /api/relance/qr)',
  })
  reason?: 'needs_qr';
}

/** `event: qr`: a new QR code to scan (about every 20 s while linking). */
export class QrStreamEventDto {
  @ApiProperty({ example: '2@ref,noise,identity,adv,platform' })
  qr: string;

  @ApiProperty({ example: 'data:image/png;base64,iVBORw0KGgo…' })
  qrImage: string;
}

/** `event: heartbeat`: sent every SSE_HEARTBEAT_MS so proxies keep the stream open. */
export class HeartbeatStreamEventDto {
  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
}
