import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddedDatabaseUnavailableError,
  startEmbeddedDatabase,
} from './embedded-database';
import { ensureMongodBinary, startMongod } from './embedded-mongod';
import {
  ferretDbRunnerBinary,
  FerretDbRunnerUnavailableError,
  startFerretDb,
} from './ferretdb-runner';

jest.mock('./embedded-mongod', () => ({
  ...jest.requireActual<object>('./embedded-mongod'),
  ensureMongodBinary: jest.fn(),
  startMongod: jest.fn(),
}));
jest.mock('./ferretdb-runner', () => ({
  ...jest.requireActual<object>('./ferretdb-runner'),
  ferretDbRunnerBinary: jest.fn(),
  startFerretDb: jest.fn(),
}));

const mongodBinary = jest.mocked(ensureMongodBinary);
const mongod = jest.mocked(startMongod);
const runnerBinary = jest.mocked(ferretDbRunnerBinary);
const ferretDb = jest.mocked(startFerretDb);

const OFFLINE = new Error(
  'Download failed for url "https://fastdl.mongodb.org/x.tgz", Details:\ngetaddrinfo ENOTFOUND fastdl.mongodb.org',
);

describe('startEmbeddedDatabase: which development database runs', () => {
  let dir: string;
  let logs: string[];

  const start = () =>
    startEmbeddedDatabase({
      mongoDir: join(dir, 'mongo'),
      ferretDbDir: join(dir, 'ferretdb'),
      runnerCacheDir: join(dir, 'runner'),
      log: (line) => logs.push(line),
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'embedded-choice-'));
    logs = [];
    jest.resetAllMocks();
    mongod.mockResolvedValue({
      uri: 'mongodb://127.0.0.1:1111/',
      stop: jest.fn(),
    });
    ferretDb.mockResolvedValue({
      uri: 'mongodb://127.0.0.1:2222/',
      port: 2222,
      stop: jest.fn(),
    });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs mongod when mongodb-memory-server has or can download it', async () => {
    mongodBinary.mockResolvedValue(undefined);

    const running = await start();

    expect(running).toMatchObject({
      kind: 'mongod',
      uri: 'mongodb://127.0.0.1:1111/',
      dataDir: join(dir, 'mongo'),
    });
    expect(runnerBinary).not.toHaveBeenCalled();
  });

  it('falls back to the FerretDB runner when mongod cannot be had, saying why, with data in its own folder', async () => {
    mongodBinary.mockRejectedValue(OFFLINE);
    runnerBinary.mockResolvedValue('/cache/ferretdb-runner-abc');

    const running = await start();

    expect(running).toMatchObject({
      kind: 'ferretdb',
      uri: 'mongodb://127.0.0.1:2222/',
      dataDir: join(dir, 'ferretdb'),
    });
    expect(running.reason).toContain(
      'getaddrinfo ENOTFOUND fastdl.mongodb.org',
    );
    expect(ferretDb).toHaveBeenCalledWith({
      binary: '/cache/ferretdb-runner-abc',
      dataDir: join(dir, 'ferretdb'),
    });
    expect(logs).toEqual([
      expect.stringMatching(
        /^mongod cannot be had .*; trying the FerretDB runner$/,
      ),
    ]);
  });

  it('names both ways out in one sentence when neither can be had', async () => {
    mongodBinary.mockRejectedValue(OFFLINE);
    runnerBinary.mockRejectedValue(
      new FerretDbRunnerUnavailableError('Go is not installed'),
    );

    const failure = start();

    await expect(failure).rejects.toBeInstanceOf(
      EmbeddedDatabaseUnavailableError,
    );
    await expect(failure).rejects.toThrow(
      /getaddrinfo ENOTFOUND fastdl\.mongodb\.org.*Go is not installed.*; set MONGODB_URI to a running MongoDB server, or install Go/,
    );
  });

  it('keeps using FerretDB once it ran here, without trying mongod first', async () => {
    await mkdir(join(dir, 'ferretdb'));
    runnerBinary.mockResolvedValue('/cache/ferretdb-runner-abc');

    const running = await start();

    expect(running).toMatchObject({
      kind: 'ferretdb',
      reason: `it ran here before: ${join(dir, 'ferretdb')} exists`,
    });
    expect(mongodBinary).not.toHaveBeenCalled();
  });

  it('stays on mongod when mongod already holds data, even if FerretDB ran here too', async () => {
    await mkdir(join(dir, 'ferretdb'));
    await mkdir(join(dir, 'mongo'));
    await writeFile(join(dir, 'mongo', 'WiredTiger'), '');
    mongodBinary.mockResolvedValue(undefined);

    expect(await start()).toMatchObject({ kind: 'mongod' });
    expect(runnerBinary).not.toHaveBeenCalled();
  });
});
