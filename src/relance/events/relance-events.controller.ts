import { Controller, MessageEvent, Sse } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { Observable } from 'rxjs';
import { ApiUserAuth } from '../../auth/api-auth.decorator';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { CurrentUser } from '../../auth/current-user.decorator';
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
@ApiExtraModels(
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
          'event: snapshot\nid: 1\ndata: {"status":"disconnected","connectionFailureCount":0,"maxConnectionFailures":3,"lastConnectionFailure":null,"lastDisconnectReason":null,"lastQrScanDate":null,"lastConnectionCheck":null,"sessionStored":false}\n\nevent: status\nid: 2\ndata: {"status":"connecting"}\n\nevent: qr\nid: 3\ndata: {"qr":"https://wa.me/settings/linked_devices#2@Xk3f…,1","qrImage":"data:image/png;base64,iVBORw0KGgo…"}\n\nevent: heartbeat\nid: 4\ndata: {"at":"2026-11-28T10:15:15.000Z"}\n\n',
      },
    },
  })
  // Its 401 is JSON: ApiErrorResponse names the media type, which @ApiProduces would otherwise set.
  @ApiUserAuth()
  events(@CurrentUser() user: AuthenticatedUser): Observable<MessageEvent> {
    return this.stream.forUser(user.userId);
  }
}
