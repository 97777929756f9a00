import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LINK_METHODS } from '../link-method';
import type { LinkMethod } from '../link-method';
import { WHATSAPP_STATUSES } from '../whatsapp-status';
import type { WhatsAppStatus } from '../whatsapp-status';

export class DisconnectReasonDto {
  @ApiProperty({
    example: 401,
    description: 'Baileys disconnect code (0 when the close had none)',
  })
  code: number;

  @ApiProperty({ example: 'loggedOut' })
  name: string;
}

export class StatusResponseDto {
  @ApiProperty({ enum: WHATSAPP_STATUSES, example: 'connected' })
  status: WhatsAppStatus;

  @ApiProperty({
    example: 1,
    description:
      'Consecutive counted failures since the last successful connection',
  })
  connectionFailureCount: number;

  @ApiProperty({
    example: 3,
    description:
      'At this many consecutive counted failures the session files are deleted',
  })
  maxConnectionFailures: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-28T10:15:00.000Z',
  })
  lastConnectionFailure: Date | null;

  @ApiPropertyOptional({ type: DisconnectReasonDto, nullable: true })
  lastDisconnectReason: DisconnectReasonDto | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'The last time a QR code was scanned to link this account (a link by pairing code leaves it unchanged)',
  })
  lastQrScanDate: Date | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-28T09:58:12.000Z',
    description:
      'The last time a device was linked, by QR code or pairing code',
  })
  lastLinkedAt: Date | null;

  @ApiPropertyOptional({
    enum: LINK_METHODS,
    nullable: true,
    example: 'code',
    description:
      'How that link was made: `qr` (a scanned QR code) or `code` (a pairing code typed on the phone)',
  })
  linkMethod: LinkMethod | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  lastConnectionCheck: Date | null;

  @ApiProperty({
    example: true,
    description:
      'Session credentials are stored, so a reconnect needs no QR scan',
  })
  sessionStored: boolean;

  @ApiPropertyOptional({
    example: 2,
    description: 'Present while a reconnect is pending: its attempt number',
  })
  reconnectAttempt?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'Present while a reconnect is pending',
  })
  nextReconnectAt?: Date;
}

/** Real bodies of GET /status, for the OpenAPI examples. */
export const STATUS_RESPONSE_EXAMPLES = {
  connected: {
    status: 'connected',
    connectionFailureCount: 0,
    maxConnectionFailures: 3,
    lastConnectionFailure: null,
    lastDisconnectReason: { code: 515, name: 'restartRequired' },
    lastQrScanDate: new Date('2026-11-20T08:00:00.000Z'),
    lastLinkedAt: new Date('2026-11-20T08:00:00.000Z'),
    linkMethod: 'qr',
    lastConnectionCheck: new Date('2026-11-28T10:15:00.000Z'),
    sessionStored: true,
  } satisfies StatusResponseDto,
  reconnecting: {
    status: 'connecting',
    connectionFailureCount: 1,
    maxConnectionFailures: 3,
    lastConnectionFailure: new Date('2026-11-28T10:15:00.000Z'),
    lastDisconnectReason: { code: 428, name: 'connectionClosed' },
    lastQrScanDate: null,
    lastLinkedAt: new Date('2026-11-20T08:00:00.000Z'),
    linkMethod: 'code',
    lastConnectionCheck: new Date('2026-11-28T10:15:00.000Z'),
    sessionStored: true,
    reconnectAttempt: 1,
    nextReconnectAt: new Date('2026-11-28T10:15:01.412Z'),
  } satisfies StatusResponseDto,
  neverLinked: {
    status: 'disconnected',
    connectionFailureCount: 0,
    maxConnectionFailures: 3,
    lastConnectionFailure: null,
    lastDisconnectReason: null,
    lastQrScanDate: null,
    lastLinkedAt: null,
    linkMethod: null,
    lastConnectionCheck: null,
    sessionStored: false,
  } satisfies StatusResponseDto,
};
