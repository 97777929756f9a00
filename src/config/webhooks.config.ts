import { registerAs } from '@nestjs/config';
import {
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsUrl,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidationOptions,
} from 'class-validator';
import {
  WEBHOOK_EVENT_TYPES,
  WebhookEventType,
} from '../webhooks/webhook-event';
import { ToInteger, ToStringList } from './env-transforms';
import { validated } from './env-validation';

/** Standard Webhooks secrets: `whsec_` then standard base64 (with padding). */
const SECRET_FORMAT =
  /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;
export const MIN_SECRET_BYTES = 24;

function isStandardWebhookSecret(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const base64 = SECRET_FORMAT.exec(value)?.[1];
  return (
    base64 !== undefined &&
    Buffer.from(base64, 'base64').length >= MIN_SECRET_BYTES
  );
}

function IsStandardWebhookSecret(
  options: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStandardWebhookSecret',
      validator: { validate: isStandardWebhookSecret },
    },
    options,
  );
}

function IsNotAboveBackoffMax(options: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotAboveBackoffMax',
      validator: {
        validate: (value: unknown, args) =>
          typeof value === 'number' &&
          value <= (args?.object as WebhooksEnv).WEBHOOK_BACKOFF_MAX_MS,
      },
    },
    options,
  );
}

export class WebhooksEnv {
  @ToStringList()
  @IsArray({
    message: 'WEBHOOK_URLS must be a comma-separated list of http(s) URLs',
  })
  @IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_tld: false,
      require_valid_protocol: true,
    },
    {
      each: true,
      message: 'WEBHOOK_URLS must hold only http:// or https:// URLs',
    },
  )
  WEBHOOK_URLS: string[] = [];

  // Required once a URL is configured; checked whenever it is set.
  @ValidateIf(
    (env: WebhooksEnv) =>
      env.WEBHOOK_URLS.length > 0 || env.WEBHOOK_SECRET !== undefined,
  )
  @IsStandardWebhookSecret({
    message: `WEBHOOK_SECRET must be "whsec_" followed by the base64 of at least ${MIN_SECRET_BYTES} random bytes (required when WEBHOOK_URLS is set)`,
  })
  WEBHOOK_SECRET?: string;

  @ToStringList()
  @IsArray({
    message: `WEBHOOK_EVENTS must be a comma-separated list of: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
  })
  @ArrayNotEmpty({
    message: 'WEBHOOK_EVENTS must name at least one event type',
  })
  @IsIn(WEBHOOK_EVENT_TYPES, {
    each: true,
    message: `WEBHOOK_EVENTS may only hold: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
  })
  WEBHOOK_EVENTS: WebhookEventType[] = [...WEBHOOK_EVENT_TYPES];

  @ToInteger()
  @IsInt({ message: 'WEBHOOK_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'WEBHOOK_TIMEOUT_MS must be at least 100' })
  @Max(60_000, { message: 'WEBHOOK_TIMEOUT_MS must be at most 60000' })
  WEBHOOK_TIMEOUT_MS: number = 5_000;

  @ToInteger()
  @IsInt({ message: 'WEBHOOK_MAX_ATTEMPTS must be an integer' })
  @Min(1, { message: 'WEBHOOK_MAX_ATTEMPTS must be at least 1' })
  @Max(100, { message: 'WEBHOOK_MAX_ATTEMPTS must be at most 100' })
  WEBHOOK_MAX_ATTEMPTS: number = 12;

  @ToInteger()
  @IsInt({ message: 'WEBHOOK_BACKOFF_BASE_MS must be an integer' })
  @Min(1, { message: 'WEBHOOK_BACKOFF_BASE_MS must be at least 1' })
  @IsNotAboveBackoffMax({
    message: 'WEBHOOK_BACKOFF_BASE_MS must not exceed WEBHOOK_BACKOFF_MAX_MS',
  })
  WEBHOOK_BACKOFF_BASE_MS: number = 1_000;

  @ToInteger()
  @IsInt({ message: 'WEBHOOK_BACKOFF_MAX_MS must be an integer' })
  @Min(1, { message: 'WEBHOOK_BACKOFF_MAX_MS must be at least 1' })
  @Max(86_400_000, {
    message: 'WEBHOOK_BACKOFF_MAX_MS must be at most 86400000 (one day)',
  })
  WEBHOOK_BACKOFF_MAX_MS: number = 3_600_000;
}

export function loadWebhooksConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(WebhooksEnv, env);
  const urls = [...new Set(parsed.WEBHOOK_URLS)];
  return {
    /** With no URL the module stores nothing and delivers nothing. */
    enabled: urls.length > 0,
    urls,
    secret: parsed.WEBHOOK_SECRET,
    events: [...new Set(parsed.WEBHOOK_EVENTS)],
    timeoutMs: parsed.WEBHOOK_TIMEOUT_MS,
    maxAttempts: parsed.WEBHOOK_MAX_ATTEMPTS,
    backoffBaseMs: parsed.WEBHOOK_BACKOFF_BASE_MS,
    backoffMaxMs: parsed.WEBHOOK_BACKOFF_MAX_MS,
  };
}

/** Signed notifications of session and message events (src/webhooks). */
export const webhooksConfig = registerAs('webhooks', () =>
  loadWebhooksConfig(process.env),
);

export type WebhooksConfig = ReturnType<typeof loadWebhooksConfig>;
