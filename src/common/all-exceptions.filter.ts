import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from './database-unavailable';
import { errorEnvelope, ErrorEnvelope } from './error-envelope';

export const DATABASE_UNAVAILABLE_MESSAGE =
  'The database is unavailable; please retry shortly';

// Nest's router says "Cannot GET /the/path": the path is the caller's input, not echoed back.
const UNKNOWN_ROUTE = /^Cannot [A-Z]+ \//;
export const UNKNOWN_ROUTE_MESSAGE = 'No route matches this method and path';

function messageOf(exception: HttpException): string | string[] {
  if (exception.getStatus() === 404 && UNKNOWN_ROUTE.test(exception.message)) {
    return UNKNOWN_ROUTE_MESSAGE;
  }
  const body = exception.getResponse();
  if (typeof body === 'string') {
    return body;
  }
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string' || Array.isArray(message)) {
    return message as string | string[];
  }
  return exception.message;
}

/**
 * Turns every error into the shared envelope. Unknown errors become a bare 500
 * and are logged with the request id: the body never carries stack traces,
 * driver messages or the request.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const envelope = this.toEnvelope(exception, String(request.id));
    void reply.status(envelope.statusCode).send(envelope);
  }

  private toEnvelope(exception: unknown, requestId: string): ErrorEnvelope {
    if (exception instanceof HttpException) {
      return errorEnvelope(
        exception.getStatus(),
        messageOf(exception),
        requestId,
      );
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`Database unavailable (request ${requestId})`);
      return errorEnvelope(
        HttpStatus.SERVICE_UNAVAILABLE,
        DATABASE_UNAVAILABLE_MESSAGE,
        requestId,
      );
    }
    this.logger.error(
      `Unhandled error (request ${requestId})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return errorEnvelope(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'Internal server error',
      requestId,
    );
  }
}
