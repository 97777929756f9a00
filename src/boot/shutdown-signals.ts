import { INestApplication, Logger } from '@nestjs/common';

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Ctrl+C in a terminal signals the whole process group, and npm forwards the
 * signal to its script as well: under `npm start` one keypress arrives twice.
 * A repeat this soon is that echo, not an impatient operator.
 */
const ECHO_WINDOW_MS = 2_000;

/**
 * On SIGTERM or SIGINT: one line saying so, a graceful close (every WhatsApp
 * socket closed as ours and the session files kept, the database
 * disconnected, the embedded database stopped), one line when done, then
 * exit 0. A second signal, later, exits at once. This replaces Nest's
 * enableShutdownHooks, which logs nothing and re-raises the signal.
 */
export function shutDownOnSignals(app: INestApplication): void {
  const logger = new Logger('Shutdown');
  let startedAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (startedAt !== undefined) {
      if (Date.now() - startedAt < ECHO_WINDOW_MS) return;
      logger.warn(
        `${signal} received again: exiting now, before the shutdown finished`,
      );
      process.exit(1);
    }
    const started = Date.now();
    startedAt = started;
    logger.log(
      `${signal} received: shutting down (refusing new work, closing WhatsApp sockets, keeping session files)`,
    );
    app.close().then(
      () => {
        logger.log(`Shutdown finished in ${Date.now() - started} ms`);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(
          `Shutdown failed: ${(error as Error).message}`,
          (error as Error).stack,
        );
        process.exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);
}
