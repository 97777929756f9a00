import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Post,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiUserAuth } from '../auth/api-auth.decorator';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import {
  ApiDatabaseUnavailableResponse,
  ApiJsonBodyErrorResponses,
} from '../common/api-error-response.decorator';
import { linkTo } from '../common/openapi-links';
import { RateLimited } from '../rate-limit/rate-limited.decorator';
import {
  DisconnectRequestDto,
  FORCE_NOT_BOOLEAN_MESSAGE,
} from './dto/disconnect-request.dto';
import {
  PairingCodeRequestDto,
  phoneDigitsOf,
} from './dto/pairing-code-request.dto';
import {
  PairingCodeResponseDto,
  PendingPairingResponseDto,
} from './dto/pairing-code-response.dto';
import { ApiPairingCodeDocs } from './dto/pairing-code.openapi';
import {
  DISCONNECTED_MESSAGE,
  DisconnectResponseDto,
  RESET_MESSAGE,
} from './dto/disconnect-response.dto';
import {
  ConnectedResponseDto,
  PendingConnectionResponseDto,
  QR_RESPONSE_EXAMPLES,
  QrCodeResponseDto,
} from './dto/qr-response.dto';
import {
  STATUS_RESPONSE_EXAMPLES,
  StatusResponseDto,
} from './dto/status-response.dto';
import { toStatusResponse } from './dto/status-response.mapper';
import { QrImageRenderer } from './qr-image';
import { SessionStatusReader } from './status/session-status.reader';
import { SessionLifecycleService } from './commands/session-lifecycle.service';

/** Links for clients and Schemathesis' stateful phase: what to call after each answer. */
const THEN_STATUS = () =>
  linkTo(
    RelanceController,
    'getStatus',
    'The connection status, its failure count and any pending reconnect',
  );
const THEN_LINK = () =>
  linkTo(
    RelanceController,
    'getQrCode',
    'Link (a QR to scan) or reconnect a stored session',
  );
const THEN_DISCONNECT = () =>
  linkTo(
    RelanceController,
    'disconnect',
    'Stop: close the connection (keeping the session), or reset it with force',
  );

@ApiTags('relance')
@ApiUserAuth()
@ApiDatabaseUnavailableResponse()
@ApiExtraModels(QrCodeResponseDto, ConnectedResponseDto)
@Controller('relance')
export class RelanceController {
  constructor(
    private readonly lifecycle: SessionLifecycleService,
    private readonly statuses: SessionStatusReader,
    private readonly qrImages: QrImageRenderer,
  ) {}

  @Get('qr')
  @RateLimited('qr')
  @ApiOperation({
    summary:
      'Link WhatsApp: get a QR code to scan, or learn that the session is already connected',
    description:
      "Starts (or reuses) the caller's WhatsApp connection and waits up to WHATSAPP_QR_WAIT_MS for a QR code or an open connection. Scan the QR with WhatsApp > Linked devices; it refreshes about every 20 s, so ask again for a fresh one.",
  })
  @ApiOkResponse({
    description:
      'A QR code to scan (`awaiting_qr`), or the stored session is connected (`connected`)',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(QrCodeResponseDto) },
        { $ref: getSchemaPath(ConnectedResponseDto) },
      ],
    },
    examples: {
      awaiting_qr: {
        summary: 'A QR code to scan',
        value: QR_RESPONSE_EXAMPLES.awaitingQr,
      },
      connected: {
        summary: 'Already linked and connected',
        value: QR_RESPONSE_EXAMPLES.connected,
      },
    },
    links: { status: THEN_STATUS(), disconnect: THEN_DISCONNECT() },
  })
  @ApiAcceptedResponse({
    description:
      '`connecting`: nothing arrived within the wait, ask again. `disconnected`: the attempt ended at once (GET /status says why)',
    type: PendingConnectionResponseDto,
    examples: {
      connecting: {
        summary: 'Still connecting: ask again',
        value: QR_RESPONSE_EXAMPLES.connecting,
      },
      disconnected: {
        summary: 'The attempt ended: see GET /status',
        value: QR_RESPONSE_EXAMPLES.disconnected,
      },
    },
    links: { status: THEN_STATUS(), retry: THEN_LINK() },
  })
  async getQrCode(
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<
    QrCodeResponseDto | ConnectedResponseDto | PendingConnectionResponseDto
  > {
    const outcome = await this.lifecycle.generateQRCode(user.userId);
    if (outcome.status === 'awaiting_qr') {
      return {
        status: 'awaiting_qr',
        qr: outcome.qr,
        qrImage: await this.qrImages.render(outcome.qr),
      };
    }
    if (outcome.status === 'connected') return { status: 'connected' };
    void reply.status(HttpStatus.ACCEPTED);
    return { status: outcome.status };
  }

  @Post('pairing-code')
  @RateLimited('qr')
  @HttpCode(HttpStatus.OK)
  @ApiPairingCodeDocs()
  async requestPairingCode(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: PairingCodeRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<
    PairingCodeResponseDto | ConnectedResponseDto | PendingPairingResponseDto
  > {
    const outcome = await this.lifecycle.requestPairingCode(
      user.userId,
      phoneDigitsOf(body),
    );
    if (outcome.status === 'awaiting_pairing') {
      return {
        status: 'awaiting_pairing',
        pairingCode: outcome.pairing.code,
        expiresAt: outcome.pairing.expiresAt,
      };
    }
    if (outcome.status === 'connected') return { status: 'connected' };
    void reply.status(HttpStatus.ACCEPTED);
    return { status: outcome.status };
  }

  @Get('status')
  @ApiOperation({
    summary: "The caller's connection status and failure counters",
    description:
      'Never starts a connection. An unknown user is `disconnected` with count 0. `reconnectAttempt` and `nextReconnectAt` are present only while a reconnect is pending.',
  })
  @ApiOkResponse({
    description:
      'The live status when this instance holds the connection, else the stored one, with the failure counters',
    type: StatusResponseDto,
    examples: {
      connected: {
        summary: 'Connected',
        value: STATUS_RESPONSE_EXAMPLES.connected,
      },
      reconnecting: {
        summary: 'A counted failure, reconnect pending',
        value: STATUS_RESPONSE_EXAMPLES.reconnecting,
      },
      never_linked: {
        summary: 'A user who never linked',
        value: STATUS_RESPONSE_EXAMPLES.neverLinked,
      },
    },
    links: { link: THEN_LINK(), disconnect: THEN_DISCONNECT() },
  })
  async getStatus(
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<StatusResponseDto> {
    return toStatusResponse(await this.statuses.getStatus(user.userId));
  }

  @Delete('disconnect')
  @RateLimited('disconnect')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Disconnect WhatsApp, keeping the session or resetting it',
    description:
      'Without `force` the connection closes and the session is kept (reconnect later with GET /qr, no scan needed). With `force: true` the device is logged out when possible and the session files are deleted. A body needs `Content-Type: application/json`.',
  })
  @ApiExtraModels(DisconnectRequestDto)
  @ApiBody({
    required: false,
    description:
      'Optional. No body, `{}`, or a JSON `null` body all mean `{ "force": false }`',
    // A JSON `null` body counts as no body (the ValidationPipe reads it as {}).
    schema: {
      nullable: true,
      allOf: [{ $ref: getSchemaPath(DisconnectRequestDto) }],
    },
    examples: {
      keep: { summary: 'Close, keep the session', value: { force: false } },
      reset: {
        summary: 'Log out and delete the session',
        value: { force: true },
      },
    },
  })
  @ApiOkResponse({
    description: 'The connection is closed (and the session reset with force)',
    type: DisconnectResponseDto,
    examples: {
      disconnected: {
        summary: 'Without force: session kept',
        value: { success: true, message: DISCONNECTED_MESSAGE },
      },
      reset: {
        summary: 'With force: session deleted',
        value: { success: true, message: RESET_MESSAGE },
      },
    },
    links: { status: THEN_STATUS(), relink: THEN_LINK() },
  })
  @ApiJsonBodyErrorResponses(FORCE_NOT_BOOLEAN_MESSAGE)
  async disconnect(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: DisconnectRequestDto = {},
  ): Promise<DisconnectResponseDto> {
    const force = body?.force === true;
    await this.lifecycle.disconnect(user.userId, force);
    return {
      success: true,
      message: force ? RESET_MESSAGE : DISCONNECTED_MESSAGE,
    };
  }
}
