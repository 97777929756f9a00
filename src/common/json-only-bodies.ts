import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export const JSON_ONLY_MESSAGE = 'Request bodies must be application/json';

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '0')
  );
}

function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/**
 * Fastify onRequest hook: the API documents JSON bodies only, so any other
 * body (form-encoded, text, XML, multipart...) is refused with 415 before a
 * parser sees it. Nest's default form parser would otherwise accept it.
 * Fastify waits on the returned promise (a hook without one must call `done`).
 */
export function refuseNonJsonBodies(request: FastifyRequest): Promise<void> {
  if (hasBody(request) && mediaTypeOf(request) !== 'application/json') {
    return Promise.reject(new UnsupportedMediaTypeException(JSON_ONLY_MESSAGE));
  }
  return Promise.resolve();
}
