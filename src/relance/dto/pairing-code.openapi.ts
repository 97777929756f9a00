import { applyDecorators, HttpStatus } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../common/all-exceptions.filter';
import { ErrorResponseDto } from '../../common/error-response.dto';
import { JSON_ONLY_MESSAGE } from '../../common/json-only-bodies';
import { RATE_LIMITED_MESSAGE } from '../../rate-limit/user-throttler.guard';
import { ConnectedResponseDto } from './qr-response.dto';
import {
  PAIRING_PHONE_MESSAGE,
  PairingCodeRequestDto,
} from './pairing-code-request.dto';
import {
  PairingCodeResponseDto,
  PendingPairingResponseDto,
} from './pairing-code-response.dto';

const REQUEST_ID = '6f1c2d4e-8a8b-4c1e-9f3a-2b7d0c9e5a11';

function errorExample(
  summary: string,
  status: HttpStatus,
  message: string | string[],
) {
  return {
    summary,
    value: {
      statusCode: status,
      error: STATUS_CODES[status],
      message,
      requestId: REQUEST_ID,
    },
  };
}

/** The OpenAPI description of POST /api/relance/pairing-code: every answer, each with its own example. */
export function ApiPairingCodeDocs(): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(
      PairingCodeResponseDto,
      ConnectedResponseDto,
      PendingPairingResponseDto,
    ),
    ApiOperation({
      summary:
        'Link WhatsApp with a pairing code: get a code to type on the phone instead of scanning a QR',
      description: [
        "For a user whose WhatsApp runs on the very phone they are using, which cannot scan its own screen. Starts (or reuses) the caller's WhatsApp connection and waits up to WHATSAPP_QR_WAIT_MS for a pairing code or an open connection.",
        'On the phone: WhatsApp > Settings > Linked devices > Link a device > "Link with phone number instead", then type the code (WhatsApp also shows a notification to enter it). The code lives as long as the connection\'s link window (about 2 to 3 minutes, see `expiresAt`); asking again for the same number while it lives answers the same code.',
        'The same lifecycle and retry policy as a QR link apply: a code nobody types expires like a QR (status `disconnected`, reason `pairing_expired`, nothing counted), and a device linked by code is kept, counted and deleted exactly as one linked by QR. GET /status then reports `linkMethod: "code"`. GET /qr switches a pending link back to QR codes.',
        'Rate-limited per user like GET /qr: RATE_LIMIT_QR_PER_MINUTE requests a minute on each of the two routes.',
      ].join('\n\n'),
    }),
    ApiBody({
      type: PairingCodeRequestDto,
      examples: {
        withPlus: {
          summary: 'International form with +',
          value: { phoneNumber: '+33612345678' },
        },
        digitsOnly: {
          summary: 'Digits only, country code first',
          value: { phoneNumber: '33612345678' },
        },
      },
    }),
    ApiOkResponse({
      description:
        'A pairing code to type on the phone, or the stored session is already connected',
      schema: {
        oneOf: [
          { $ref: getSchemaPath(PairingCodeResponseDto) },
          { $ref: getSchemaPath(ConnectedResponseDto) },
        ],
      },
      examples: {
        awaitingPairing: {
          summary: 'A code to type on the phone',
          value: {
            status: 'awaiting_pairing',
            pairingCode: 'ABCD-EFGH',
            expiresAt: '2026-11-28T10:02:40.000Z',
          },
        },
        connected: {
          summary: 'Already linked and connected: nothing to type',
          value: { status: 'connected' },
        },
      },
    }),
    ApiAcceptedResponse({
      description: 'Still connecting, or the attempt ended',
      type: PendingPairingResponseDto,
      examples: {
        connecting: {
          summary: 'No code yet within WHATSAPP_QR_WAIT_MS: ask again',
          value: { status: 'connecting' },
        },
        disconnected: {
          summary: 'The attempt ended; GET /status says why',
          value: { status: 'disconnected' },
        },
      },
    }),
    ApiBadRequestResponse({
      description:
        'The phone number is missing or not in international form, the body is not valid JSON, or it has unknown fields',
      type: ErrorResponseDto,
      examples: {
        badPhoneNumber: errorExample(
          'A national number (leading 0), spaces or letters',
          HttpStatus.BAD_REQUEST,
          [PAIRING_PHONE_MESSAGE],
        ),
        missingPhoneNumber: errorExample(
          'No phoneNumber',
          HttpStatus.BAD_REQUEST,
          ['phoneNumber must be a string', PAIRING_PHONE_MESSAGE],
        ),
        unknownField: errorExample(
          'A field the API does not know',
          HttpStatus.BAD_REQUEST,
          ['property name should not exist'],
        ),
        malformedJson: errorExample(
          'A body that is not JSON',
          HttpStatus.BAD_REQUEST,
          "Body is not valid JSON but content-type is set to 'application/json'",
        ),
      },
    }),
    ApiUnauthorizedResponse({
      description: 'Missing, invalid or expired bearer token',
      type: ErrorResponseDto,
      examples: {
        missingToken: errorExample(
          'No Authorization header',
          HttpStatus.UNAUTHORIZED,
          'Missing or malformed Authorization header: expected "Bearer <token>"',
        ),
        badToken: errorExample(
          'A token that does not verify',
          HttpStatus.UNAUTHORIZED,
          'Token is malformed',
        ),
      },
    }),
    ApiPayloadTooLargeResponse({
      description: 'The body is larger than HTTP_BODY_LIMIT_BYTES',
      type: ErrorResponseDto,
      examples: {
        tooLarge: errorExample(
          'Over HTTP_BODY_LIMIT_BYTES',
          HttpStatus.PAYLOAD_TOO_LARGE,
          'Request body is too large',
        ),
      },
    }),
    ApiUnsupportedMediaTypeResponse({
      description: 'The body is not application/json',
      type: ErrorResponseDto,
      examples: {
        notJson: errorExample(
          'A form-encoded or text body',
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          JSON_ONLY_MESSAGE,
        ),
      },
    }),
    // The description and the Retry-After header come from @RateLimited('qr').
    ApiTooManyRequestsResponse({
      type: ErrorResponseDto,
      examples: {
        rateLimited: errorExample(
          'Too many requests this minute',
          HttpStatus.TOO_MANY_REQUESTS,
          RATE_LIMITED_MESSAGE,
        ),
      },
    }),
    ApiServiceUnavailableResponse({
      description:
        'The database is unavailable, or the service is shutting down',
      type: ErrorResponseDto,
      examples: {
        databaseUnavailable: errorExample(
          'MongoDB cannot be reached',
          HttpStatus.SERVICE_UNAVAILABLE,
          DATABASE_UNAVAILABLE_MESSAGE,
        ),
        shuttingDown: errorExample(
          'A graceful shutdown has started',
          HttpStatus.SERVICE_UNAVAILABLE,
          'The service is shutting down; retry shortly',
        ),
      },
    }),
  );
}
