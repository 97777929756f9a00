import { ApiProperty } from '@nestjs/swagger';
import { MESSAGE_STATUSES, type MessageStatus } from '../message-status';

export class MessageErrorDto {
  @ApiProperty({ example: 'SESSION_RESET' })
  code: string;

  @ApiProperty({
    example: 'session_reset',
    description:
      'session_reset | expired | contact_replied | not_on_whatsapp | rejected | cancelled',
  })
  reason: string;
}

export class MessageResponseDto {
  @ApiProperty({ example: '5f1c3e8a9b2d4c6e8f0a1b2c3d4e5f60' })
  id: string;

  @ApiProperty({
    example: '33612345678',
    description: 'The contact, digits only',
  })
  to: string;

  @ApiProperty({
    example: 'Hello! Just following up on our quote from last week.',
  })
  text: string;

  @ApiProperty({ enum: MESSAGE_STATUSES, example: 'queued' })
  status: MessageStatus;

  @ApiProperty({ example: 0, description: 'Send attempts so far' })
  attempts: number;

  @ApiProperty({
    example: '3EB0A1B2C3D4E5F60718293A',
    description: 'Chosen before the first attempt; every retry reuses it',
  })
  whatsappMessageId: string;

  @ApiProperty({ example: '2026-11-29T10:00:00.000Z' })
  createdAt: Date;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
  })
  sendAt: Date | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
  })
  sentAt: Date | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
  })
  deliveredAt: Date | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
  })
  readAt: Date | null;

  @ApiProperty({ example: '2026-11-30T10:00:00.000Z' })
  expiresAt: Date;

  @ApiProperty({ type: MessageErrorDto, nullable: true, example: null })
  error: MessageErrorDto | null;
}

export class MessageListResponseDto {
  @ApiProperty({ type: [MessageResponseDto] })
  items: MessageResponseDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'MjAyNi0xMS0yOVQxMDowMDowMC4wMDBafDVmMWMz',
    description:
      'Pass as `cursor` for the next (older) page; null on the last page',
  })
  nextCursor: string | null;
}
