import { ApiProperty } from '@nestjs/swagger';

export const DISCONNECTED_MESSAGE = 'WhatsApp disconnected successfully';
export const RESET_MESSAGE = 'WhatsApp session completely reset';

export class DisconnectResponseDto {
  @ApiProperty({ example: true })
  success: boolean;

  @ApiProperty({
    enum: [DISCONNECTED_MESSAGE, RESET_MESSAGE],
    example: DISCONNECTED_MESSAGE,
  })
  message: string;
}
