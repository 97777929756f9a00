import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { DATABASE_UNAVAILABLE_MESSAGE } from './all-exceptions.filter';
import { errorEnvelope, ErrorEnvelope } from './error-envelope';
import { ErrorResponseDto } from './error-response.dto';
import { JSON_ONLY_MESSAGE } from './json-only-bodies';

export const EXAMPLE_REQUEST_ID = '6f1c2d4e-8a8b-4c1e-9f3a-2b7d0c9e5a11';

/** The body the service answers with this status and message (what the example shows). */
export function errorExample(
  status: number,
  message: string | string[],
): ErrorEnvelope {
  return errorEnvelope(status, message, EXAMPLE_REQUEST_ID);
}

export interface ApiErrorOptions {
  description: string;
  /** The message the service really sends, from the constant the code throws with. */
  message: string | string[];
  headers?: Record<
    string,
    { description: string; schema: Record<string, unknown> }
  >;
}

/**
 * Documents an error status with the shared envelope and an example of its
 * own: the real message for that status, never another code's body.
 */
export function ApiErrorResponse(
  status: number,
  { description, message, headers }: ApiErrorOptions,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorResponseDto),
    ApiResponse({
      status,
      description,
      ...(headers ? { headers } : {}),
      content: {
        'application/json': {
          schema: { $ref: getSchemaPath(ErrorResponseDto) },
          example: errorExample(status, message),
        },
      },
    }),
  );
}

/** 503 while MongoDB cannot be reached (AllExceptionsFilter). */
export function ApiDatabaseUnavailableResponse(): MethodDecorator &
  ClassDecorator {
  return ApiErrorResponse(503, {
    description: 'The database is unavailable; retry shortly',
    message: DATABASE_UNAVAILABLE_MESSAGE,
  });
}

/** Fastify's messages for a body it cannot take (FST_ERR_CTP_BODY_TOO_LARGE, FST_ERR_CTP_INVALID_JSON_BODY). */
export const BODY_TOO_LARGE_MESSAGE = 'Request body is too large';
export const INVALID_JSON_MESSAGE =
  "Body is not valid JSON but content-type is set to 'application/json'";

/**
 * The refusals of a route that takes a JSON body: 400 (invalid JSON, a wrong
 * type or an unknown field; `invalidField` is the route's own validation
 * message), 413 and 415.
 */
export function ApiJsonBodyErrorResponses(
  invalidField: string,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiErrorResponse(400, {
      description: `The body is not valid JSON (\`${INVALID_JSON_MESSAGE}\`), a field has the wrong type, or the body has unknown fields (\`property <name> should not exist\`)`,
      message: [invalidField],
    }),
    ApiErrorResponse(413, {
      description: 'The body is larger than HTTP_BODY_LIMIT_BYTES',
      message: BODY_TOO_LARGE_MESSAGE,
    }),
    ApiErrorResponse(415, {
      description:
        'The request has a body that is not `application/json` (send `Content-Type: application/json`, or no body)',
      message: JSON_ONLY_MESSAGE,
    }),
  );
}
