import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class DisconnectRequestDto {
  @ApiPropertyOptional({
    description:
      'true deletes the stored session at once (a new QR scan is then required); false or absent keeps it',
    example: false,
    default: false,
    type: Boolean,
  })
  @IsOptional()
  @IsBoolean({ message: 'force must be a boolean (true or false)' })
  force?: boolean;
}
