import { registerAs } from '@nestjs/config';
import { IsArray, IsIP, IsOptional, Matches, MinLength } from 'class-validator';
import { ToStringList } from './env-transforms';
import { validated } from './env-validation';

export class MetricsEnv {
  @IsOptional()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  @Matches(/^[A-Za-z0-9._~+/=-]+$/, {
    message:
      'METRICS_TOKEN may only hold token characters (A-Z a-z 0-9 . _ ~ + / = -)',
  })
  METRICS_TOKEN?: string;

  @IsOptional()
  @ToStringList()
  @IsArray({
    message:
      'METRICS_ALLOWED_IPS must be a comma-separated list of IP addresses',
  })
  @IsIP(undefined, {
    each: true,
    message: 'METRICS_ALLOWED_IPS must hold only IPv4 or IPv6 addresses',
  })
  METRICS_ALLOWED_IPS?: string[];
}

export function loadMetricsConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(MetricsEnv, env);
  return {
    token: parsed.METRICS_TOKEN,
    allowedIps: parsed.METRICS_ALLOWED_IPS ?? [],
  };
}

/**
 * Who may scrape GET /metrics. Each configured check must pass (token AND
 * address when both are set); with neither set, only loopback callers may.
 */
export const metricsConfig = registerAs('metrics', () =>
  loadMetricsConfig(process.env),
);

export type MetricsConfig = ReturnType<typeof loadMetricsConfig>;
