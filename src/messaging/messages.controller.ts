import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { CreateMessageDto } from './dto/create-message.dto';
import {
  ListMessagesQueryDto,
  MessageIdParamDto,
} from './dto/list-messages-query.dto';
import {
  MessageListResponseDto,
  MessageResponseDto,
} from './dto/message-response.dto';
import { toMessageResponse } from './message-response.mapper';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@ApiBearerAuth()
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired bearer token',
  type: ErrorResponseDto,
})
@Controller('relance/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Queue a follow-up message to a contact',
    description:
      "Stores the message (202 means it is stored) and delivers it through the user's WhatsApp session when it is connected, in creation order, spaced by WHATSAPP_SEND_INTERVAL_MS. A repeated idempotencyKey with the same body answers 200 with the existing message.",
  })
  @ApiAcceptedResponse({
    description: 'Stored; delivery follows',
    type: MessageResponseDto,
  })
  @ApiOkResponse({
    description: 'The same idempotencyKey and body were already accepted',
    type: MessageResponseDto,
  })
  @ApiBadRequestResponse({
    description: 'Invalid body',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({
    description: 'The idempotencyKey was used with a different body',
    type: ErrorResponseDto,
  })
  @ApiTooManyRequestsResponse({
    description: 'MESSAGE_QUEUE_LIMIT unsent messages already',
    type: ErrorResponseDto,
  })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MessageResponseDto> {
    const accepted = await this.messages.accept(user.userId, body);
    if (!accepted.created) reply.status(HttpStatus.OK);
    return toMessageResponse(accepted.message);
  }

  @Get()
  @ApiOperation({ summary: "List the caller's messages, newest first" })
  @ApiOkResponse({ type: MessageListResponseDto })
  @ApiBadRequestResponse({
    description: 'Invalid query',
    type: ErrorResponseDto,
  })
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListMessagesQueryDto,
  ): Promise<MessageListResponseDto> {
    const page = await this.messages.list(user.userId, query);
    return {
      items: page.items.map(toMessageResponse),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message with its delivery status' })
  @ApiParam({ name: 'id', example: '5f1c3e8a9b2d4c6e8f0a1b2c3d4e5f60' })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiBadRequestResponse({
    description: 'Malformed id',
    type: ErrorResponseDto,
  })
  @ApiNotFoundResponse({
    description: 'No such message for this user',
    type: ErrorResponseDto,
  })
  async get(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: MessageIdParamDto,
  ): Promise<MessageResponseDto> {
    return toMessageResponse(await this.messages.get(user.userId, params.id));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel a scheduled or queued message' })
  @ApiParam({ name: 'id', example: '5f1c3e8a9b2d4c6e8f0a1b2c3d4e5f60' })
  @ApiOkResponse({ description: 'Cancelled', type: MessageResponseDto })
  @ApiBadRequestResponse({
    description: 'Malformed id',
    type: ErrorResponseDto,
  })
  @ApiNotFoundResponse({
    description: 'No such message for this user',
    type: ErrorResponseDto,
  })
  @ApiConflictResponse({
    description: 'Sending has started or the message is final',
    type: ErrorResponseDto,
  })
  async cancel(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: MessageIdParamDto,
  ): Promise<MessageResponseDto> {
    return toMessageResponse(
      await this.messages.cancel(user.userId, params.id),
    );
  }
}
