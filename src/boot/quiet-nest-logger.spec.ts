import { LoggerService } from '@nestjs/common';
import { QuietNestBootLogger } from './quiet-nest-logger';

function recordingLogger() {
  const lines: Array<[string, unknown, unknown[]]> = [];
  const record =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) =>
      lines.push([level, message, rest]);
  const logger: LoggerService = {
    log: record('info'),
    error: record('error'),
    warn: record('warn'),
    debug: record('debug'),
  };
  return { logger, lines };
}

describe('QuietNestBootLogger', () => {
  it.each([
    ['InstanceLoader', 'AppModule dependencies initialized'],
    ['RoutesResolver', 'HealthController {/api/health}:'],
    ['RouterExplorer', 'Mapped {/api/health, GET} route'],
    ['NestFactory', 'Starting Nest application...'],
    ['NestApplication', 'Nest application successfully started'],
  ])('moves Nest boot listings (%s) down to debug', (context, message) => {
    const { logger, lines } = recordingLogger();
    new QuietNestBootLogger(logger).log(message, context);
    expect(lines).toEqual([['debug', message, [context]]]);
  });

  it("keeps the app's own info lines at info", () => {
    const { logger, lines } = recordingLogger();
    new QuietNestBootLogger(logger).log('Boot restore: 0 restored', 'Restore');
    expect(lines).toEqual([['info', 'Boot restore: 0 restored', ['Restore']]]);
  });

  it("keeps Nest's warnings and errors, whatever their context", () => {
    const { logger, lines } = recordingLogger();
    const quiet = new QuietNestBootLogger(logger);
    quiet.warn('careful', 'NestApplication');
    quiet.error('broken', 'stack', 'InstanceLoader');
    expect(lines.map(([level]) => level)).toEqual(['warn', 'error']);
  });
});
