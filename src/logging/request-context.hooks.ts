import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AsyncResource } from 'node:async_hooks';
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
  const scopes = new WeakMap<FastifyRequest, AsyncResource>();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    runInRequest({ requestId: request.id }, () => {
      scopes.set(request, new AsyncResource('relance-request'));
      done();
    });
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    const scope = scopes.get(request);
    if (scope) scope.runInAsyncScope(done);
    else done();
  });
}
