import type { FastifyInstance } from 'fastify';
import { runInRequest } from './request-context';

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * Fastify hooks for each request's id (made by the adapter's genReqId). It is
 * sent back as X-Request-Id, set as soon as the request arrives so that every
 * response carries it, event streams included. It is also the context of
 * everything logged while handling the request (the pattern of
 * @fastify/request-context). The body is read from socket events, which run
 * outside that context, so preValidation, the first hook after parsing,
 * enters it again.
 */
export function bindRequestId(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    runInRequest({ requestId: request.id }, done);
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    runInRequest({ requestId: request.id }, done);
  });
}
