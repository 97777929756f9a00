import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { MESSAGE_STATUSES, type MessageStatus } from '../message-status';
import { BAD_ID_MESSAGE } from '../messages-api-examples';
import { PHONE_PATTERN } from './create-message.dto';

export const MAX_PAGE_SIZE = 100;

export class ListMessagesQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES, example: 'queued' })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES, {
    message: `status must be one of ${MESSAGE_STATUSES.join(', ')}`,
  })
  status?: MessageStatus;

  @ApiPropertyOptional({
    example: '+33612345678',
    pattern: PHONE_PATTERN.source,
  })
  @IsOptional()
  @IsString({ message: 'to must be a string' })
  @Matches(PHONE_PATTERN, {
    message: 'to must be a phone number: 7 to 15 digits, optional leading +',
  })
  to?: string;

  @ApiPropertyOptional({
    example: 20,
    default: 20,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_PAGE_SIZE, { message: `limit must be at most ${MAX_PAGE_SIZE}` })
  limit: number = 20;

  @ApiPropertyOptional({
    description: 'nextCursor from the previous page',
    example: 'MjAyNi0xMS0yOVQxMDowMDowMC4wMDBafDVmMWMz',
  })
  @IsOptional()
  @IsString({ message: 'cursor must be a string' })
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, {
    message: 'cursor is not a cursor this API issued',
  })
  cursor?: string;
}

export class MessageIdParamDto {
  @Matches(/^[a-f0-9]{32}$/, { message: BAD_ID_MESSAGE })
  id: string;
}
