import { registerAs } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

export class SseEnv {
  @ToInteger()
  @IsInt({ message: 'SSE_HEARTBEAT_MS must be an integer' })
  @Min(50, { message: 'SSE_HEARTBEAT_MS must be at least 50' })
  @Max(300_000, { message: 'SSE_HEARTBEAT_MS must be at most 300000' })
  SSE_HEARTBEAT_MS: number = 15_000;
}

/** The live status stream (GET /api/relance/events). */
export const sseConfig = registerAs('sse', () => {
  const env = validated(SseEnv, process.env);
  return { heartbeatMs: env.SSE_HEARTBEAT_MS };
});
