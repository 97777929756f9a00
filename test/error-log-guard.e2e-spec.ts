import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface JestJsonResult {
  testResults: {
    assertionResults: {
      title: string;
      status: string;
      failureMessages: string[];
    }[];
  }[];
}

const ROOT = join(__dirname, '..');

/** Runs the fixture spec in a child jest with the guard, as every spec runs. */
function runFixture(): {
  results: Map<string, string[] | 'passed'>;
  output: string;
} {
  const config = {
    rootDir: ROOT,
    roots: ['<rootDir>/test/fixtures/error-log-guard'],
    testRegex: '\\.fixture\\.ts$',
    testEnvironment: 'node',
    transform: { '^.+\\.(t|j)s$': 'ts-jest' },
    setupFilesAfterEnv: ['<rootDir>/test/support/error-log-guard.setup.ts'],
  };
  const dir = mkdtempSync(join(tmpdir(), 'error-log-guard-'));
  const outputFile = join(dir, 'results.json');
  const child = spawnSync(
    process.execPath,
    [
      '--experimental-vm-modules',
      join(ROOT, 'node_modules/jest/bin/jest.js'),
      '--config',
      JSON.stringify(config),
      '--json',
      `--outputFile=${outputFile}`,
      '--ci',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );
  const json = JSON.parse(readFileSync(outputFile, 'utf8')) as JestJsonResult;
  rmSync(dir, { recursive: true, force: true });
  const results = new Map<string, string[] | 'passed'>();
  for (const file of json.testResults)
    for (const test of file.assertionResults)
      results.set(
        test.title,
        test.status === 'passed' ? 'passed' : test.failureMessages,
      );
  return { results, output: child.stdout + child.stderr };
}

describe('the error log guard of every spec (e2e)', () => {
  let run: ReturnType<typeof runFixture>;

  beforeAll(() => {
    run = runFixture();
  });

  it('fails a test that logs an error it did not declare, naming the line', () => {
    const failure = run.results.get('fails: logs an error it did not declare');
    expect(failure).toEqual([
      expect.stringContaining('[error] Something broke unexpectedly'),
    ]);
  });

  it('lets a test log the errors it declared, for the test or for the whole file, without printing them', () => {
    expect(run.results.get('passes: logs an error it declared')).toBe('passed');
    expect(
      run.results.get('passes: logs an error declared for the whole file'),
    ).toBe('passed');
    expect(run.output).not.toContain('[Fixture] An expected breakage');
    expect(run.output).not.toContain('known for the whole file');
  });

  it('forgets a test’s declaration when the test ends', () => {
    expect(
      run.results.get(
        'fails: a declaration does not carry over to the next test',
      ),
    ).toEqual([expect.stringContaining('[error] An expected breakage')]);
  });

  it('catches errors logged through a Nest testing module too', () => {
    expect(
      run.results.get(
        'fails: logs an error through a compiled Nest testing module',
      ),
    ).toEqual([expect.stringContaining('[error] Nest module error')]);
  });

  it('ignores warnings', () => {
    expect(run.results.get('passes: warnings are not errors')).toBe('passed');
  });
});
