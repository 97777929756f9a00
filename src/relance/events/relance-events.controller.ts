import { Controller, MessageEvent, Sse } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { Observable } from 'rxjs';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { StatusResponseDto } from '../dto/status-response.dto';
import {
  HeartbeatStreamEventDto,
  MessageStreamEventDto,
  PairingStreamEventDto,
  QrStreamEventDto,
  StatusStreamEventDto,
} from './dto/stream-events.dto';
import { SessionStream, StreamEventType } from './session-stream';

/**
 * One SSE message, as OpenAPI 3.2 (itemSchema) and Schemathesis read a
 * text/event-stream schema: an object with the `event` name and `data` as a
 * JSON string whose parsed content follows `payload`.
 */
function sseEvent(
  name: StreamEventType,
  payload: new () => object,
): Record<string, unknown> {
  return {
    type: 'object',
    required: ['event', 'data'],
    properties: {
      event: { type: 'string', enum: [name] },
      id: { type: 'string' },
      data: {
        type: 'string',
        contentMediaType: 'application/json',
        contentSchema: { $ref: getSchemaPath(payload) },
      },
    },
  };
}

@ApiTags('relance')
@ApiBearerAuth()
@ApiExtraModels(
  ErrorResponseDto,
  StatusResponseDto,
  StatusStreamEventDto,
  QrStreamEventDto,
  PairingStreamEventDto,
  MessageStreamEventDto,
  HeartbeatStreamEventDto,
)
@Controller('relance')
export class RelanceEventsController {
  constructor(private readonly stream: SessionStream) {}

  @Sse('events')
  @ApiOperation({
    summary: "Live stream of the caller's connection (Server-Sent Events)",
    description: [
      'A `text/event-stream` that stays open. Each message has an `event:` name and a JSON `data:` line:',
      '- `snapshot` (first message): the same body as GET /api/relance/status;',
      '- `status`: the connection changed state (`status`, and `connectionFailureCount` / `nextReconnectAt` when they changed; `reason` when the session stopped: `threshold`, `force`, `needs_qr`, `qr_expired`, `pairing_expired`, `connection_replaced`, `user`, `not_linked`);',
      '- `qr`: a new QR code, as the raw string (`qr`) and a PNG data URL (`qrImage`);',
      '- `pairing`: a pairing code to type on the phone instead (`pairingCode`, `expiresAt`), after POST /api/relance/pairing-code;',
      "- `message`: one of the caller's follow-up messages changed status (`messageId`, `status`, `error`);",
      '- `heartbeat`: every SSE_HEARTBEAT_MS (default 15 s), `{ "at": <ISO date> }`.',
      'The native browser EventSource cannot send an Authorization header: use a client that can (e.g. the `event-source-polyfill` package, or fetch with a stream reader).',
    ].join('\n'),
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'An event stream; the `data` of each event is one of these JSON objects (by event name: snapshot, status, qr, pairing, message, heartbeat)',
    content: {
      'text/event-stream': {
        schema: {
          oneOf: [
            sseEvent('snapshot', StatusResponseDto),
            sseEvent('status', StatusStreamEventDto),
            sseEvent('qr', QrStreamEventDto),
            sseEvent('pairing', PairingStreamEventDto),
            sseEvent('message', MessageStreamEventDto),
            sseEvent('heartbeat', HeartbeatStreamEventDto),
          ],
        },
        example:
          'event: snapshot\ndata: {"status":"disconnected","connectionFailureCount":0,...}\n\nevent: status\ndata: {"status":"connecting"}\n\nevent: qr\ndata: {"qr":"2@…","qrImage":"data:image/png;base64,…"}\n\n',
      },
    },
  })
  @ApiUnauthorizedResponse({
    description: 'Missing, invalid or expired bearer token',
    // Explicit: @ApiProduces would otherwise document the JSON error as text/event-stream.
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } },
    },
  })
  events(@CurrentUser() user: AuthenticatedUser): Observable<MessageEvent> {
    return this.stream.forUser(user.userId);
  }
}
