import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { metricsConfig } from '../config/metrics.config';

const LOOPBACK = new Set(['127.0.0.1', '::1']);

export const LOOPBACK_ONLY_MESSAGE =
  'Metrics are only served to loopback callers unless METRICS_TOKEN or METRICS_ALLOWED_IPS is set';
export const ADDRESS_NOT_ALLOWED_MESSAGE = 'This address may not read metrics';
export const METRICS_TOKEN_REQUIRED_MESSAGE =
  'A valid metrics bearer token is required';

/** `::ffff:10.0.0.5` (an IPv4 caller on a dual-stack socket) is `10.0.0.5`. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function isLoopback(ip: string): boolean {
  return LOOPBACK.has(ip) || ip.startsWith('127.');
}

function sameSecret(given: string, expected: string): boolean {
  // Hashing first makes the comparison constant-time whatever the lengths.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Protects GET /metrics, which the JWT guard skips (@Public):
 * - METRICS_TOKEN set: `Authorization: Bearer <METRICS_TOKEN>` is required;
 * - METRICS_ALLOWED_IPS set: the caller's address must be listed;
 * - both set: both are required;
 * - neither set: only loopback callers (127.0.0.0/8, ::1) are let in.
 * The address is the socket's peer (Fastify's request.ip without trustProxy).
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(
    @Inject(metricsConfig.KEY)
    private readonly config: ConfigType<typeof metricsConfig>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const ip = normalizeIp(request.ip);
    const { token, allowedIps } = this.config;
    if (!token && allowedIps.length === 0) {
      if (!isLoopback(ip)) throw new ForbiddenException(LOOPBACK_ONLY_MESSAGE);
      return true;
    }
    if (allowedIps.length > 0 && !allowedIps.map(normalizeIp).includes(ip)) {
      throw new ForbiddenException(ADDRESS_NOT_ALLOWED_MESSAGE);
    }
    if (token) {
      const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
      if (!match || !sameSecret(match[1], token))
        throw new UnauthorizedException(METRICS_TOKEN_REQUIRED_MESSAGE);
    }
    return true;
  }
}
