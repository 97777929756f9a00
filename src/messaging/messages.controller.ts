import {
  applyDecorators,
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
  ApiLink,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiUserAuth } from '../auth/api-auth.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import {
  ApiDatabaseUnavailableResponse,
  ApiErrorResponse,
  ApiJsonBodyErrorResponses,
} from '../common/api-error-response.decorator';
import { CreateMessageDto } from './dto/create-message.dto';
import {
  ListMessagesQueryDto,
  MESSAGE_ID_PATTERN,
  MessageIdParamDto,
} from './dto/list-messages-query.dto';
import {
  MessageListResponseDto,
  MessageResponseDto,
} from './dto/message-response.dto';
import { toMessageResponse } from './message-response.mapper';
import {
  BAD_CURSOR_MESSAGE,
  BAD_ID_MESSAGE,
  IDEMPOTENCY_CONFLICT_MESSAGE,
  MESSAGE_EXAMPLES,
  MESSAGE_LIST_EXAMPLE,
  NO_SUCH_MESSAGE,
  NOT_CANCELLABLE_MESSAGE,
  queueLimitMessage,
} from './messages-api-examples';
import { MessagesService } from './messages.service';

const ID_EXAMPLE = MESSAGE_EXAMPLES.queued.id;
/** A route on one message: its id parameter, the link from a created message, and the 400 and 404 it answers. */
const ApiMessageRoute = () =>
  applyDecorators(
    ApiParam({
      name: 'id',
      example: ID_EXAMPLE,
      schema: { type: 'string', pattern: MESSAGE_ID_PATTERN.source },
    }),
    ApiLink({ from: MessageResponseDto, fromField: 'id', routeParam: 'id' }),
    ApiErrorResponse(400, {
      description: 'The id is not a message id',
      message: [BAD_ID_MESSAGE],
    }),
    ApiErrorResponse(404, {
      description: 'No message with this id belongs to the caller',
      message: NO_SUCH_MESSAGE,
    }),
  );

@ApiTags('messages')
@ApiUserAuth()
@ApiDatabaseUnavailableResponse()
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
    example: MESSAGE_EXAMPLES.queued,
  })
  @ApiOkResponse({
    description: 'The same idempotencyKey and body were already accepted',
    type: MessageResponseDto,
    example: MESSAGE_EXAMPLES.delivered,
  })
  @ApiJsonBodyErrorResponses(
    'to must be a phone number: 7 to 15 digits, optional leading +',
  )
  @ApiErrorResponse(409, {
    description: 'The idempotencyKey was used with a different body',
    message: IDEMPOTENCY_CONFLICT_MESSAGE,
  })
  @ApiErrorResponse(429, {
    description: 'The user already has MESSAGE_QUEUE_LIMIT unsent messages',
    message: queueLimitMessage(1000),
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
  @ApiOperation({
    summary: "List the caller's messages, newest first",
    description:
      'Filter by status and contact; pass nextCursor as cursor for the next (older) page.',
  })
  @ApiOkResponse({
    description: 'One page of messages',
    type: MessageListResponseDto,
    example: MESSAGE_LIST_EXAMPLE,
  })
  @ApiErrorResponse(400, {
    description: 'A query parameter is invalid',
    message: [BAD_CURSOR_MESSAGE],
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
  @ApiMessageRoute()
  @ApiOkResponse({
    description: 'The message',
    type: MessageResponseDto,
    example: MESSAGE_EXAMPLES.delivered,
  })
  async get(
    @CurrentUser() user: AuthenticatedUser,
    @Param() params: MessageIdParamDto,
  ): Promise<MessageResponseDto> {
    return toMessageResponse(await this.messages.get(user.userId, params.id));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel a scheduled or queued message' })
  @ApiMessageRoute()
  @ApiOkResponse({
    description: 'Cancelled',
    type: MessageResponseDto,
    example: MESSAGE_EXAMPLES.cancelled,
  })
  @ApiErrorResponse(409, {
    description: 'Sending has started, or the message is final',
    message: NOT_CANCELLABLE_MESSAGE,
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
