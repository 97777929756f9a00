import { registerAs } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

const DAY_MS = 24 * 60 * 60 * 1000;

export class MessagingEnv {
  @ToInteger()
  @IsInt({ message: 'MESSAGE_TTL_MS must be an integer' })
  @Min(1_000, { message: 'MESSAGE_TTL_MS must be at least 1000' })
  @Max(30 * DAY_MS, { message: 'MESSAGE_TTL_MS must be at most 30 days' })
  MESSAGE_TTL_MS: number = DAY_MS;

  @ToInteger()
  @IsInt({ message: 'MESSAGE_ACK_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'MESSAGE_ACK_TIMEOUT_MS must be at least 100' })
  @Max(600_000, { message: 'MESSAGE_ACK_TIMEOUT_MS must be at most 600000' })
  MESSAGE_ACK_TIMEOUT_MS: number = 30_000;

  @ToInteger()
  @IsInt({ message: 'WHATSAPP_SEND_INTERVAL_MS must be an integer' })
  @Min(0, { message: 'WHATSAPP_SEND_INTERVAL_MS must be at least 0' })
  @Max(600_000, { message: 'WHATSAPP_SEND_INTERVAL_MS must be at most 600000' })
  WHATSAPP_SEND_INTERVAL_MS: number = 1_000;

  @ToInteger()
  @IsInt({ message: 'MESSAGE_QUEUE_LIMIT must be an integer' })
  @Min(1, { message: 'MESSAGE_QUEUE_LIMIT must be at least 1' })
  @Max(1_000_000, { message: 'MESSAGE_QUEUE_LIMIT must be at most 1000000' })
  MESSAGE_QUEUE_LIMIT: number = 1_000;

  @ToInteger()
  @IsInt({ message: 'MESSAGE_MAX_SEND_ATTEMPTS must be an integer' })
  @Min(1, { message: 'MESSAGE_MAX_SEND_ATTEMPTS must be at least 1' })
  @Max(1_000, { message: 'MESSAGE_MAX_SEND_ATTEMPTS must be at most 1000' })
  MESSAGE_MAX_SEND_ATTEMPTS: number = 10;

  @ToInteger()
  @IsInt({ message: 'MESSAGE_POLL_INTERVAL_MS must be an integer' })
  @Min(20, { message: 'MESSAGE_POLL_INTERVAL_MS must be at least 20' })
  @Max(60_000, { message: 'MESSAGE_POLL_INTERVAL_MS must be at most 60000' })
  MESSAGE_POLL_INTERVAL_MS: number = 1_000;
}

/** Follow-up messages: the outbox and its delivery workers. */
export const messagingConfig = registerAs('messaging', () => {
  const env = validated(MessagingEnv, process.env);
  return {
    ttlMs: env.MESSAGE_TTL_MS,
    ackTimeoutMs: env.MESSAGE_ACK_TIMEOUT_MS,
    sendIntervalMs: env.WHATSAPP_SEND_INTERVAL_MS,
    queueLimit: env.MESSAGE_QUEUE_LIMIT,
    maxSendAttempts: env.MESSAGE_MAX_SEND_ATTEMPTS,
    pollIntervalMs: env.MESSAGE_POLL_INTERVAL_MS,
  };
});
