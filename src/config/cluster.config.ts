import { registerAs } from '@nestjs/config';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { hostname } from 'node:os';
import { ToInteger } from './env-transforms';
import { InvalidEnvironmentError, validated } from './env-validation';

export const CLUSTER_MODES = ['off', 'on'] as const;
export type ClusterMode = (typeof CLUSTER_MODES)[number];

export class ClusterEnv {
  @IsIn(CLUSTER_MODES, {
    message: `WHATSAPP_CLUSTER must be one of: ${CLUSTER_MODES.join(', ')}`,
  })
  WHATSAPP_CLUSTER: ClusterMode = 'off';

  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,128}$/, {
    message:
      'INSTANCE_ID must be 1-128 letters, digits, dots, dashes, underscores or colons',
  })
  INSTANCE_ID?: string;

  @ToInteger()
  @IsInt({ message: 'WHATSAPP_LEASE_TTL_MS must be an integer' })
  @Min(1000, { message: 'WHATSAPP_LEASE_TTL_MS must be at least 1000' })
  @Max(600_000, { message: 'WHATSAPP_LEASE_TTL_MS must be at most 600000' })
  WHATSAPP_LEASE_TTL_MS: number = 15_000;
}

/**
 * Several instances share sessions only through MongoDB: a files store is
 * one machine's disk, so clustering on it would hand a session to an
 * instance that cannot read its credentials.
 */
function assertSharedStore(env: ClusterEnv, raw: NodeJS.ProcessEnv): void {
  if (env.WHATSAPP_CLUSTER === 'on' && raw.WHATSAPP_AUTH_STORE !== 'mongodb')
    throw new InvalidEnvironmentError([
      'WHATSAPP_CLUSTER=on needs WHATSAPP_AUTH_STORE=mongodb',
    ]);
}

export function loadClusterConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(ClusterEnv, env);
  assertSharedStore(parsed, env);
  return {
    enabled: parsed.WHATSAPP_CLUSTER === 'on',
    instanceId: parsed.INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    leaseTtlMs: parsed.WHATSAPP_LEASE_TTL_MS,
  };
}

/** Several instances over one database: who owns which session (see src/cluster). */
export const clusterConfig = registerAs('cluster', () =>
  loadClusterConfig(process.env),
);

export type ClusterConfig = ReturnType<typeof loadClusterConfig>;
