import { reportBootFailure } from './boot-failure';
import { InvalidEnvironmentError } from './config/env-validation';
import { CannotListenError } from './boot/listen';
import { DatabaseUnreachableError } from './database/database-connection';
import { EmbeddedDatabaseUnavailableError } from './database/embedded/embedded-database';

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

  it('names both ways out, in one sentence, when no embedded database can be had', () => {
    const printed: string[] = [];
    reportBootFailure(
      new EmbeddedDatabaseUnavailableError(
        'Download failed',
        'Go is not installed',
      ),
      (line) => printed.push(line),
    );
    expect(printed).toEqual([
      expect.stringMatching(
        /^Cannot start: No embedded development database could start: .*Download failed.*Go is not installed.*; set MONGODB_URI to a running MongoDB server, or install Go .* and start again\.$/,
      ),
    ]);
  });

  it.each([
    [
      'the database did not answer in time',
      new DatabaseUnreachableError(
        'mongodb://db:27017/relance',
        2000,
        'connect ECONNREFUSED',
      ),
      /^Cannot start: MongoDB at mongodb:\/\/db:27017\/relance did not answer within MONGODB_CONNECT_TIMEOUT_MS \(2000 ms/,
    ],
    [
      'the port is taken',
      new CannotListenError(
        '0.0.0.0',
        3000,
        'is already in use by another process: stop it, or set PORT to a free port',
      ),
      /^Cannot start: Port 3000 on 0\.0\.0\.0 is already in use by another process: stop it, or set PORT to a free port\.$/,
    ],
  ])('explains in one line, without a stack, when %s', (_, error, message) => {
    const printed: string[] = [];
    expect(reportBootFailure(error, (line) => printed.push(line))).toBe(1);
    expect(printed).toEqual([expect.stringMatching(message)]);
    expect(printed[0]).not.toContain('\n');
  });

  it('keeps the stack for unexpected failures, which need a developer', () => {
    const printed: string[] = [];
    reportBootFailure(new Error('boom'), (line) => printed.push(line));
    expect(printed[0]).toMatch(/boom\n\s+at /);
  });
});
