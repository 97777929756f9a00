import { ApiProperty } from '@nestjs/swagger';

export class QrCodeResponseDto {
  @ApiProperty({ enum: ['awaiting_qr'], example: 'awaiting_qr' })
  status: 'awaiting_qr';

  @ApiProperty({
    description: 'The raw QR payload, for clients that render it themselves',
    example:
      'https://wa.me/settings/linked_devices#2@abc…,noise…,identity…,adv…,platform…',
  })
  qr: string;

  @ApiProperty({
    description: 'The QR code as a PNG data URL',
    example: 'data:image/png;base64,iVBORw0KGgo…',
  })
  qrImage: string;
}

export class ConnectedResponseDto {
  @ApiProperty({ enum: ['connected'], example: 'connected' })
  status: 'connected';
}

export class PendingConnectionResponseDto {
  @ApiProperty({
    enum: ['connecting', 'disconnected'],
    example: 'connecting',
    description:
      '`connecting`: no QR or connection yet within WHATSAPP_QR_WAIT_MS, ask again. `disconnected`: the attempt ended (see GET /status for why).',
  })
  status: 'connecting' | 'disconnected';
}

/** Real bodies of GET /qr, for the OpenAPI examples. */
export const QR_RESPONSE_EXAMPLES = {
  awaitingQr: {
    status: 'awaiting_qr',
    qr: 'https://wa.me/settings/linked_devices#2@Xk3fQ1bW9mZtR0yq,bmMvY2hhbm5lbA==,Sm4tS2V5LUlkZW50aXR5,YWR2LXNpZ25hdHVyZQ==,1',
    qrImage:
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAQQAAAEECAYAAADOCEoKAAAAAklEQVR4AewaftIAAA…',
  } satisfies QrCodeResponseDto,
  connected: { status: 'connected' } satisfies ConnectedResponseDto,
  connecting: { status: 'connecting' } satisfies PendingConnectionResponseDto,
  disconnected: {
    status: 'disconnected',
  } satisfies PendingConnectionResponseDto,
};
