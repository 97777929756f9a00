import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, ValidateIf } from 'class-validator';

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
  // Absent is fine; null is not a boolean (IsOptional would let it through).
  @ValidateIf((body: DisconnectRequestDto) => body.force !== undefined)
  @IsBoolean({ message: FORCE_NOT_BOOLEAN_MESSAGE })
  force?: boolean;
}
