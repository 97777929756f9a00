import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export const FORCE_NOT_BOOLEAN_MESSAGE =
  'force must be a boolean (true or false)';

export class DisconnectRequestDto {
  @ApiPropertyOptional({
    description:
      'true deletes the stored session at once (a new QR scan is then required); false or absent keeps it',
    example: false,
    default: false,
    type: Boolean,
  })
  @IsOptional()
  @IsBoolean({ message: FORCE_NOT_BOOLEAN_MESSAGE })
  force?: boolean;
}
