import { AppEnv } from './app.config';
import { AuthEnv } from './auth.config';
import { DatabaseEnv } from './database.config';
import { findEnvProblems, InvalidEnvironmentError } from './env-validation';
import { LoggingEnv } from './logging.config';
import { MetricsEnv } from './metrics.config';
import { RateLimitEnv } from './rate-limit.config';
import { SseEnv } from './sse.config';
import { loadWhatsAppConfig, WhatsAppEnv } from './whatsapp.config';

const ENV_CLASSES: Array<new () => object> = [
  AppEnv,
  AuthEnv,
  DatabaseEnv,
  WhatsAppEnv,
  RateLimitEnv,
  LoggingEnv,
  MetricsEnv,
  SseEnv,
];

/**
 * Checks every namespace at once, so a bad boot names every offending
 * variable rather than only the first namespace's.
 */
export function assertValidEnvironment(env: NodeJS.ProcessEnv): void {
  const problems = ENV_CLASSES.flatMap((envClass) =>
    findEnvProblems(envClass, env),
  );
  if (problems.length > 0) {
    throw new InvalidEnvironmentError(problems);
  }
  loadWhatsAppConfig(env);
}
