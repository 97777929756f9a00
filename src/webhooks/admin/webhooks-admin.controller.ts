import {
  ConflictException,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { ConfigType } from '@nestjs/config';
import { ApiRolesRequired, ApiUserAuth } from '../../auth/api-auth.decorator';
import { ADMIN_ROLE } from '../../auth/authenticated-user';
import { Roles } from '../../auth/roles.decorator';
import {
  ApiDatabaseUnavailableResponse,
  ApiErrorResponse,
} from '../../common/api-error-response.decorator';
import { webhooksConfig } from '../../config/webhooks.config';
import { WebhookDeliveryWorker } from '../delivery/webhook-delivery.worker';
import { WebhookOutboxRepository } from '../outbox/webhook-outbox.repository';
import {
  DeliveryIdParamDto,
  MALFORMED_DELIVERY_ID,
} from './dto/delivery-id-param.dto';
import { FailedWebhooksQueryDto } from './dto/failed-webhooks-query.dto';
import {
  FailedWebhooksPageDto,
  WebhookDeliveryDto,
} from './dto/webhook-delivery.dto';
import { FailedDeliveriesReader } from './failed-deliveries.reader';
import { toWebhookDeliveryDto } from './webhook-delivery.mapper';

const UNKNOWN_DELIVERY = 'No webhook delivery has this id';

const FAILED_DELIVERY_EXAMPLE = {
  id: '6743a1f0c2b7e14a9d3f0a12',
  webhookId: 'msg_2f1c9a7e0b5d4c3e8a6f1b2d3c4e5f60',
  type: 'session.reset',
  userId: 'user_42',
  sequence: 7,
  endpoint: 'https://hooks.example.com/relance',
  state: 'failed',
  attempts: 12,
  lastStatusLine: 'HTTP 503 Service Unavailable',
  lastAttemptAt: '2026-11-28T11:02:13.000Z',
  failedAt: '2026-11-28T11:02:13.000Z',
  createdAt: '2026-11-28T10:15:00.000Z',
  payload: {
    type: 'session.reset',
    timestamp: '2026-11-28T10:15:00.000Z',
    data: { userId: 'user_42', sequence: 7, reason: 'threshold' },
  },
};
const FAILED_PAGE_EXAMPLE = {
  total: 1,
  page: 1,
  limit: 20,
  items: [FAILED_DELIVERY_EXAMPLE],
};
const notFailed = (state: string) =>
  `Only failed deliveries can be redelivered; this one is ${state}`;
const URL_REMOVED =
  'This delivery is for a URL no longer in WEBHOOK_URLS; only configured URLs are called';

@ApiTags('webhooks admin')
@ApiUserAuth()
@ApiRolesRequired(ADMIN_ROLE)
@ApiDatabaseUnavailableResponse()
@Roles(ADMIN_ROLE)
@Controller('relance/admin/webhooks')
export class WebhooksAdminController {
  constructor(
    private readonly failed: FailedDeliveriesReader,
    private readonly outbox: WebhookOutboxRepository,
    private readonly worker: WebhookDeliveryWorker,
    @Inject(webhooksConfig.KEY)
    private readonly config: Pick<ConfigType<typeof webhooksConfig>, 'urls'>,
  ) {}

  @Get('failed')
  @ApiOperation({
    summary: 'Webhook deliveries given up on (admin only)',
    description:
      'Deliveries that were not accepted (2xx) within WEBHOOK_MAX_ATTEMPTS attempts, most recently failed first, with the last status line and the body that was sent. Needs a token whose `roles` claim holds "admin".',
  })
  @ApiOkResponse({
    description: 'One page of failed deliveries',
    type: FailedWebhooksPageDto,
    example: FAILED_PAGE_EXAMPLE,
  })
  @ApiErrorResponse(400, {
    description:
      '`page` (1..100000) or `limit` (1..100) is not a valid integer',
    message: ['limit must be at most 100'],
  })
  async listFailed(
    @Query() query: FailedWebhooksQueryDto,
  ): Promise<FailedWebhooksPageDto> {
    const { total, items } = await this.failed.page(
      (query.page - 1) * query.limit,
      query.limit,
    );
    return {
      total,
      page: query.page,
      limit: query.limit,
      items: items.map(toWebhookDeliveryDto),
    };
  }

  @Post(':id/redeliver')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Send a failed webhook delivery again (admin only)',
    description:
      'Puts the delivery back in the queue with a fresh attempt budget. The receiver gets the same `webhook-id` and body (newly signed), so it can de-duplicate. Needs a token whose `roles` claim holds "admin".',
  })
  @ApiAcceptedResponse({
    description: 'Queued: the delivery is pending again',
    type: WebhookDeliveryDto,
    example: { ...FAILED_DELIVERY_EXAMPLE, state: 'pending', attempts: 0 },
  })
  @ApiErrorResponse(400, {
    description: 'The id is not a delivery id (24 hexadecimal characters)',
    message: [MALFORMED_DELIVERY_ID],
  })
  @ApiErrorResponse(404, {
    description: 'No delivery has this id',
    message: UNKNOWN_DELIVERY,
  })
  @ApiErrorResponse(409, {
    description:
      'The delivery is not failed (still pending, or delivered), or its URL is no longer configured',
    message: notFailed('delivered'),
  })
  async redeliver(
    @Param() params: DeliveryIdParamDto,
  ): Promise<WebhookDeliveryDto> {
    const outcome = await this.outbox.redeliver(
      params.id,
      this.config.urls,
      new Date(),
    );
    if (outcome.status === 'not_found')
      throw new NotFoundException(UNKNOWN_DELIVERY);
    if (outcome.status === 'not_failed')
      throw new ConflictException(notFailed(outcome.state));
    if (outcome.status === 'url_not_configured')
      throw new ConflictException(URL_REMOVED);
    this.worker.wake();
    return toWebhookDeliveryDto(outcome.delivery);
  }
}
