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
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { RateLimited } from '../rate-limit/rate-limited.decorator';
import { DisconnectRequestDto } from './dto/disconnect-request.dto';
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
  QrCodeResponseDto,
} from './dto/qr-response.dto';
import { StatusResponseDto } from './dto/status-response.dto';
import { toStatusResponse } from './dto/status-response.mapper';
import { QrImageRenderer } from './qr-image';
import { SessionStatusReader } from './status/session-status.reader';
import { SessionLifecycleService } from './commands/session-lifecycle.service';

@ApiTags('relance')
@ApiBearerAuth()
@ApiUnauthorizedResponse({
  description: 'Missing, invalid or expired bearer token',
  type: ErrorResponseDto,
})
@ApiServiceUnavailableResponse({
  description: 'The database is unavailable',
  type: ErrorResponseDto,
})
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
    description: 'A QR code to scan, or the stored session is connected',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(QrCodeResponseDto) },
        { $ref: getSchemaPath(ConnectedResponseDto) },
      ],
    },
  })
  @ApiAcceptedResponse({
    description: 'Still connecting, or the attempt ended',
    type: PendingConnectionResponseDto,
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
  })
  @ApiOkResponse({ type: StatusResponseDto })
  async getStatus(
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<StatusResponseDto> {
    return toStatusResponse(await this.statuses.getStatus(user.userId));
  }

  @Delete('disconnect')
  @RateLimited('disconnect')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Disconnect WhatsApp',
    description:
      'Without `force` the connection closes and the session is kept (reconnect later with GET /qr, no scan needed). With `force: true` the device is logged out when possible and the session files are deleted.',
  })
  @ApiBody({ type: DisconnectRequestDto, required: false })
  @ApiOkResponse({ type: DisconnectResponseDto })
  @ApiBadRequestResponse({
    description:
      'The body is not valid JSON, `force` is not a boolean, or the body has unknown fields',
    type: ErrorResponseDto,
  })
  @ApiPayloadTooLargeResponse({
    description: 'The body is larger than HTTP_BODY_LIMIT_BYTES',
    type: ErrorResponseDto,
  })
  @ApiUnsupportedMediaTypeResponse({
    description: 'The body is not application/json',
    type: ErrorResponseDto,
  })
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
