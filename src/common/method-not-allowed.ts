import { MethodNotAllowedException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

export const METHOD_NOT_ALLOWED_MESSAGE =
  'This path does not accept this method; see the Allow header';

/**
 * A route template as a regular expression over request paths: `:name` (with
 * an optional `(regex)`) matches one segment, `*` the rest. Our routes use
 * nothing else, and Fastify offers no lookup by concrete path for a method
 * other than the request's.
 */
export function routePattern(template: string): RegExp {
  const source = template
    .split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** Every route's methods, by template, as Fastify registers them. */
export class RouteMethods {
  private readonly routes = new Map<
    string,
    { pattern: RegExp; methods: Set<string> }
  >();

  add(template: string, methods: string | string[]): void {
    const route = this.routes.get(template) ?? {
      pattern: routePattern(template),
      methods: new Set<string>(),
    };
    for (const method of [methods].flat()) route.methods.add(method);
    // Fastify answers HEAD on every GET route.
    if (route.methods.has('GET')) route.methods.add('HEAD');
    this.routes.set(template, route);
  }

  /** The methods some route serves at this path, sorted; empty for an unknown path. */
  allowedAt(path: string): string[] {
    const allowed = new Set<string>();
    for (const { pattern, methods } of this.routes.values())
      if (pattern.test(path)) for (const method of methods) allowed.add(method);
    return [...allowed].sort();
  }
}

/**
 * A known path asked with a method it does not serve gets 405 and an Allow
 * header listing the ones it does (RFC 9110), not the 404 of an unknown path.
 * Registered before any route, so onRoute sees them all.
 */
export function refuseUndeclaredMethods(fastify: FastifyInstance): void {
  const routes = new RouteMethods();
  fastify.addHook('onRoute', (route) => routes.add(route.url, route.method));
  fastify.addHook('onRequest', async (request, reply) => {
    // Matched a route: the method is served.
    if (request.routeOptions.url !== undefined) return;
    const allowed = routes.allowedAt(request.url.split('?', 1)[0]);
    if (allowed.length === 0) return;
    void reply.header('allow', allowed.join(', '));
    throw new MethodNotAllowedException(METHOD_NOT_ALLOWED_MESSAGE);
  });
}
