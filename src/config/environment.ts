import { AppEnv } from './app.config';
import { AuthEnv } from './auth.config';
import { ConnectPageEnv } from './connect-page.config';
import { ClusterEnv, loadClusterConfig } from './cluster.config';
import { DatabaseEnv } from './database.config';
import { findEnvProblems, InvalidEnvironmentError } from './env-validation';
import { LoggingEnv } from './logging.config';
import { MessagingEnv } from './messaging.config';
import { MetricsEnv } from './metrics.config';
import { RateLimitEnv } from './rate-limit.config';
import { SseEnv } from './sse.config';
import { WebhooksEnv } from './webhooks.config';
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
  MessagingEnv,
  WebhooksEnv,
  ConnectPageEnv,
  ClusterEnv,
];

/**
 * Every problem with the environment, across all namespaces, so a bad boot
 * names every offending variable rather than only the first namespace's.
 */
export function findEnvironmentProblems(env: NodeJS.ProcessEnv): string[] {
  const problems = ENV_CLASSES.flatMap((envClass) =>
    findEnvProblems(envClass, env),
  );
  if (problems.length > 0) return problems;
  try {
    loadWhatsAppConfig(env);
    loadClusterConfig(env);
    return [];
  } catch (error) {
    if (error instanceof InvalidEnvironmentError) return error.problems;
    throw error;
  }
}

export function assertValidEnvironment(env: NodeJS.ProcessEnv): void {
  const problems = findEnvironmentProblems(env);
  if (problems.length > 0) {
    throw new InvalidEnvironmentError(problems);
  }
}
