import { ApiProperty } from '@nestjs/swagger';

export class PairingCodeResponseDto {
  @ApiProperty({ enum: ['awaiting_pairing'], example: 'awaiting_pairing' })
  status: 'awaiting_pairing';

  @ApiProperty({
    example: 'ABCD-EFGH',
    description:
      'Type it on the phone in WhatsApp > Linked devices > Link a device > Link with phone number instead',
  })
  pairingCode: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-28T10:02:40.000Z',
    description:
      'After this the code no longer links (the connection closes, status `disconnected`, reason `pairing_expired`); ask for a new one',
  })
  expiresAt: Date;
}

export class PendingPairingResponseDto {
  @ApiProperty({
    enum: ['connecting', 'disconnected'],
    example: 'connecting',
    description:
      '`connecting`: no code or connection yet within WHATSAPP_QR_WAIT_MS, ask again. `disconnected`: the attempt ended (see GET /status for why).',
  })
  status: 'connecting' | 'disconnected';
}
