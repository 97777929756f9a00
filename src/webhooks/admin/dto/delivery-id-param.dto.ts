import { ApiProperty } from '@nestjs/swagger';
import { IsMongoId } from 'class-validator';

export const MALFORMED_DELIVERY_ID =
  'id must be a webhook delivery id (24 hexadecimal characters, as listed by GET /api/relance/admin/webhooks/failed)';

export class DeliveryIdParamDto {
  @ApiProperty({
    description:
      'The delivery id (`id` in GET /api/relance/admin/webhooks/failed), not the webhook-id',
    example: '6743a1f0c2b7e14a9d3f0a12',
    pattern: '^[0-9a-f]{24}$',
  })
  @IsMongoId({ message: MALFORMED_DELIVERY_ID })
  id: string;
}
