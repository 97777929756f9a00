import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDateString,
  IsString,
  Length,
  Matches,
  ValidateIf,
} from 'class-validator';

export const PHONE_PATTERN = /^\+?\d{7,15}$/;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const MAX_TEXT_LENGTH = 4096;

/** Optional fields may be absent, never null (`@ValidateIf`, not `@IsOptional`, which lets null through). */
export class CreateMessageDto {
  @ApiProperty({
    description:
      'The contact: a phone number in international form, 7 to 15 digits with an optional leading +',
    example: '+33612345678',
    pattern: PHONE_PATTERN.source,
  })
  @IsString({ message: 'to must be a string' })
  @Matches(PHONE_PATTERN, {
    message: 'to must be a phone number: 7 to 15 digits, optional leading +',
  })
  to: string;

  @ApiProperty({
    description: 'The message text (never logged)',
    example: 'Hello! Just following up on our quote from last week.',
    minLength: 1,
    maxLength: MAX_TEXT_LENGTH,
  })
  @IsString({ message: 'text must be a string' })
  @Length(1, MAX_TEXT_LENGTH, {
    message: `text must be 1 to ${MAX_TEXT_LENGTH} characters`,
  })
  text: string;

  @ApiPropertyOptional({
    description:
      'Repeating a request with the same key and body answers 200 with the same message; a different body gives 409',
    example: 'quote-1234-followup-1',
    pattern: IDEMPOTENCY_KEY_PATTERN.source,
  })
  @ValidateIf((body: CreateMessageDto) => body.idempotencyKey !== undefined)
  @IsString({ message: 'idempotencyKey must be a string' })
  @Matches(IDEMPOTENCY_KEY_PATTERN, {
    message: 'idempotencyKey must be 1 to 128 characters of A-Z a-z 0-9 _ -',
  })
  idempotencyKey?: string;

  @ApiPropertyOptional({
    description:
      'Send no earlier than this time (ISO 8601); status `scheduled` until then',
    example: '2026-12-01T09:00:00.000Z',
    format: 'date-time',
  })
  @ValidateIf((body: CreateMessageDto) => body.sendAt !== undefined)
  @IsDateString(
    { strict: true },
    { message: 'sendAt must be an ISO 8601 date-time' },
  )
  sendAt?: string;

  @ApiPropertyOptional({
    description:
      'Give up after this time (status `expired`); defaults to creation + MESSAGE_TTL_MS (24 h)',
    example: '2026-12-02T09:00:00.000Z',
    format: 'date-time',
  })
  @ValidateIf((body: CreateMessageDto) => body.expiresAt !== undefined)
  @IsDateString(
    { strict: true },
    { message: 'expiresAt must be an ISO 8601 date-time' },
  )
  expiresAt?: string;

  @ApiPropertyOptional({
    description:
      'Cancel this follow-up (reason contact_replied) if the contact writes to the user before it is sent',
    example: true,
    default: false,
  })
  @ValidateIf((body: CreateMessageDto) => body.cancelOnReply !== undefined)
  @IsBoolean({ message: 'cancelOnReply must be a boolean (true or false)' })
  cancelOnReply?: boolean;
}
