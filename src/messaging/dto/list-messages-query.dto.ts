import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { LimitQueryDto } from '../../common/dto/limit-query.dto';
import { MESSAGE_STATUSES, type MessageStatus } from '../message-status';
import { CURSOR_PATTERN } from '../message-ids';
import { BAD_CURSOR_MESSAGE, BAD_ID_MESSAGE } from '../messages-api-examples';
import { PHONE_PATTERN } from './create-message.dto';

/** The cursor-paged listing of a user's messages, filtered by status and recipient. */
export class ListMessagesQueryDto extends LimitQueryDto {
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
    description: 'nextCursor from the previous page',
    example: '1764410400000-5f1c3e8a9b2d4c6e8f0a1b2c3d4e5f60',
    pattern: CURSOR_PATTERN.source,
  })
  @IsOptional()
  @IsString({ message: 'cursor must be a string' })
  @Matches(CURSOR_PATTERN, { message: BAD_CURSOR_MESSAGE })
  cursor?: string;
}

export const MESSAGE_ID_PATTERN = /^[a-f0-9]{32}$/;

export class MessageIdParamDto {
  @Matches(MESSAGE_ID_PATTERN, { message: BAD_ID_MESSAGE })
  id: string;
}
