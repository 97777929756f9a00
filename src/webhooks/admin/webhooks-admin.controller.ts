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
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { ConfigType } from '@nestjs/config';
import { ADMIN_ROLE } from '../../auth/authenticated-user';
import { Roles } from '../../auth/roles.decorator';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../common/all-exceptions.filter';
import { ErrorResponseDto } from '../../common/error-response.dto';
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
import { errorExample } from './error-examples';
import { FailedDeliveriesReader } from './failed-deliveries.reader';
import { toWebhookDeliveryDto } from './webhook-delivery.mapper';

const UNKNOWN_DELIVERY = 'No webhook delivery has this id';
const notFailed = (state: string) =>
  `Only failed deliveries can be redelivered; this one is ${state}`;
const URL_REMOVED =
  'This delivery is for a URL no longer in WEBHOOK_URLS; only configured URLs are called';

@ApiTags('webhooks admin')
@ApiBearerAuth()
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired bearer token',
  type: ErrorResponseDto,
  example: errorExample(
    401,
    'Missing or malformed Authorization header: expected "Bearer <token>"',
  ),
})
@ApiForbiddenResponse({
  description: `The token lacks the "${ADMIN_ROLE}" role`,
  type: ErrorResponseDto,
  example: errorExample(403, `This route requires the role(s): ${ADMIN_ROLE}`),
})
@ApiServiceUnavailableResponse({
  description: 'The database is unavailable',
  type: ErrorResponseDto,
  example: errorExample(503, DATABASE_UNAVAILABLE_MESSAGE),
})
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
  @ApiOkResponse({ type: FailedWebhooksPageDto })
  @ApiBadRequestResponse({
    description:
      '`page` (1..100000) or `limit` (1..100) is not a valid integer, or an unknown query parameter was sent',
    type: ErrorResponseDto,
    example: errorExample(400, ['limit must be at most 100']),
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
  })
  @ApiBadRequestResponse({
    description: 'The id is not a delivery id (24 hexadecimal characters)',
    type: ErrorResponseDto,
    example: errorExample(400, [MALFORMED_DELIVERY_ID]),
  })
  @ApiNotFoundResponse({
    description: 'No delivery has this id',
    type: ErrorResponseDto,
    example: errorExample(404, UNKNOWN_DELIVERY),
  })
  @ApiConflictResponse({
    description:
      'The delivery is not failed (still pending, or delivered), or its URL is no longer configured',
    type: ErrorResponseDto,
    example: errorExample(409, notFailed('delivered')),
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
