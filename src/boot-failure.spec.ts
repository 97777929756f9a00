import { reportBootFailure } from './boot-failure';
import { InvalidEnvironmentError } from './config/env-validation';
import { EmbeddedDatabaseUnavailableError } from './database/embedded-mongo.service';

describe('reportBootFailure', () => {
  it('prints a configuration problem as one clear message and exits non-zero', () => {
    const printed: string[] = [];
    const code = reportBootFailure(
      new InvalidEnvironmentError([
        'JWT_SECRET must be at least 32 characters',
      ]),
      (line) => printed.push(line),
    );
    expect(code).toBe(1);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('JWT_SECRET must be at least 32 characters');
    expect(printed[0]).not.toMatch(/\n\s+at /);
  });

  it('tells the user to set MONGODB_URI when the embedded database cannot start', () => {
    const printed: string[] = [];
    reportBootFailure(
      new EmbeddedDatabaseUnavailableError('download failed'),
      (line) => printed.push(line),
    );
    expect(printed[0]).toMatch(/Set MONGODB_URI/);
    expect(printed[0]).not.toMatch(/\n\s+at /);
  });

  it('keeps the stack for unexpected failures, which need a developer', () => {
    const printed: string[] = [];
    reportBootFailure(new Error('boom'), (line) => printed.push(line));
    expect(printed[0]).toMatch(/boom\n\s+at /);
  });
});
