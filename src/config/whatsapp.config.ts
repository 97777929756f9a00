import { registerAs } from '@nestjs/config';
import {
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ToInteger, ToIntegerList } from './env-transforms';
import { InvalidEnvironmentError, validated } from './env-validation';

export const DEFAULT_COUNTED_DISCONNECT_CODES = [401, 403, 411, 500];

export const AUTH_STORES = ['files', 'mongodb'] as const;
export type AuthStore = (typeof AUTH_STORES)[number];

export class WhatsAppEnv {
  @IsString()
  WHATSAPP_SESSIONS_DIR: string = './sessions';

  @IsIn(AUTH_STORES, {
    message: `WHATSAPP_AUTH_STORE must be one of: ${AUTH_STORES.join(', ')}`,
  })
  WHATSAPP_AUTH_STORE: AuthStore = 'files';

  @ToInteger()
  @IsInt({ message: 'WHATSAPP_MAX_CONNECTION_FAILURES must be an integer' })
  @Min(1, { message: 'WHATSAPP_MAX_CONNECTION_FAILURES must be at least 1' })
  WHATSAPP_MAX_CONNECTION_FAILURES: number = 3;

  @ToIntegerList()
  @IsArray({
    message:
      'WHATSAPP_COUNTED_DISCONNECT_CODES must be a comma-separated list of integers',
  })
  @ArrayNotEmpty()
  @IsInt({ each: true })
  @Min(100, { each: true })
  @Max(999, { each: true })
  WHATSAPP_COUNTED_DISCONNECT_CODES: number[] =
    DEFAULT_COUNTED_DISCONNECT_CODES;

  @IsOptional()
  @Matches(/^wss?:\/\/\S+$/, {
    message: 'WHATSAPP_WS_URL must be a ws:// or wss:// URL',
  })
  WHATSAPP_WS_URL?: string;

  @ToInteger()
  @IsInt()
  @Min(1)
  WHATSAPP_RECONNECT_BASE_MS: number = 2000;

  @ToInteger()
  @IsInt()
  @Min(1)
  WHATSAPP_RECONNECT_MAX_MS: number = 300000;

  @ToInteger()
  @IsInt()
  @Min(100)
  @Max(120000)
  WHATSAPP_QR_WAIT_MS: number = 20000;

  /**
   * How long each QR ref lives (Baileys' qrTimeout). Unset keeps Baileys' own
   * timing: 60 s for the first QR, 20 s for each refresh. A pairing code lives
   * as long as the refs that remain when it is issued.
   */
  @IsOptional()
  @ToInteger()
  @IsInt({ message: 'WHATSAPP_QR_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'WHATSAPP_QR_TIMEOUT_MS must be at least 100' })
  @Max(600000, { message: 'WHATSAPP_QR_TIMEOUT_MS must be at most 600000' })
  WHATSAPP_QR_TIMEOUT_MS?: number;

  @ToInteger()
  @IsInt()
  @Min(100)
  WHATSAPP_LOGOUT_TIMEOUT_MS: number = 5000;

  @ToInteger()
  @IsInt()
  @Min(1)
  WHATSAPP_RESTORE_CONCURRENCY: number = 10;

  @ToInteger()
  @IsInt()
  @Min(0)
  WHATSAPP_RESTORE_JITTER_MS: number = 1000;

  @ToInteger()
  @IsInt()
  @Min(100)
  WHATSAPP_RESTORE_TIMEOUT_MS: number = 30000;

  @ToInteger()
  @IsInt()
  @Min(100)
  WHATSAPP_SHUTDOWN_TIMEOUT_MS: number = 10000;
}

function assertBackoffBounds(env: WhatsAppEnv): void {
  if (env.WHATSAPP_RECONNECT_BASE_MS > env.WHATSAPP_RECONNECT_MAX_MS) {
    throw new InvalidEnvironmentError([
      'WHATSAPP_RECONNECT_BASE_MS: must not exceed WHATSAPP_RECONNECT_MAX_MS',
    ]);
  }
}

export function loadWhatsAppConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(WhatsAppEnv, env);
  assertBackoffBounds(parsed);
  return {
    sessionsDir: parsed.WHATSAPP_SESSIONS_DIR,
    authStore: parsed.WHATSAPP_AUTH_STORE,
    maxConnectionFailures: parsed.WHATSAPP_MAX_CONNECTION_FAILURES,
    countedDisconnectCodes: [
      ...new Set(parsed.WHATSAPP_COUNTED_DISCONNECT_CODES),
    ],
    wsUrl: parsed.WHATSAPP_WS_URL,
    reconnectBaseMs: parsed.WHATSAPP_RECONNECT_BASE_MS,
    reconnectMaxMs: parsed.WHATSAPP_RECONNECT_MAX_MS,
    qrWaitMs: parsed.WHATSAPP_QR_WAIT_MS,
    qrTimeoutMs: parsed.WHATSAPP_QR_TIMEOUT_MS,
    logoutTimeoutMs: parsed.WHATSAPP_LOGOUT_TIMEOUT_MS,
    restoreConcurrency: parsed.WHATSAPP_RESTORE_CONCURRENCY,
    restoreJitterMs: parsed.WHATSAPP_RESTORE_JITTER_MS,
    restoreTimeoutMs: parsed.WHATSAPP_RESTORE_TIMEOUT_MS,
    shutdownTimeoutMs: parsed.WHATSAPP_SHUTDOWN_TIMEOUT_MS,
  };
}

export const whatsappConfig = registerAs('whatsapp', () =>
  loadWhatsAppConfig(process.env),
);

export type WhatsAppConfig = ReturnType<typeof loadWhatsAppConfig>;
