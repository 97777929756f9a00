/**
 * `npm run sessions:import`: the real script in a child process copies a
 * files store into MongoDB; the MongoDB store then serves exactly what the
 * files held; running it again changes nothing.
 */
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { Test, TestingModule } from '@nestjs/testing';
import {
  initAuthCreds,
  useMultiFileAuthState,
  type KeyPair,
} from '@whiskeysockets/baileys';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model } from 'mongoose';
import { MongoCredentialStore } from '../src/relance/credentials/mongo-credential-store';
import {
  SessionCredential,
  SessionCredentialSchema,
} from '../src/relance/schemas/session-credential.schema';
import { stopTestDatabase, testDatabaseUri } from './support/test-database';

const keyPair = (): KeyPair => ({
  public: randomBytes(32),
  private: randomBytes(32),
});

/** Runs `npm run sessions:import`'s command; resolves with its exit code and output. */
const runImport = (env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register', 'src/sessions-import.ts'],
      {
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });

describe('npm run sessions:import (e2e)', () => {
  let sessionsDir: string;
  let mongoUri: string;
  let moduleRef: TestingModule;
  let store: MongoCredentialStore;
  let model: Model<SessionCredential>;

  beforeAll(async () => {
    sessionsDir = await mkdtemp(join(tmpdir(), 'relance-import-'));
    mongoUri = await testDatabaseUri();
    moduleRef = await Test.createTestingModule({
      imports: [
        MongooseModule.forRoot(mongoUri),
        MongooseModule.forFeature([
          { name: SessionCredential.name, schema: SessionCredentialSchema },
        ]),
      ],
      providers: [MongoCredentialStore],
    }).compile();
    store = moduleRef.get(MongoCredentialStore);
    model = moduleRef.get(getModelToken(SessionCredential.name));
  });

  afterAll(async () => {
    await moduleRef?.close();
    await rm(sessionsDir, { recursive: true, force: true });
    await stopTestDatabase();
  });

  it('copies every linked user with their keys, then leaves MongoDB alone when run again', async () => {
    // Two users as Baileys' multi-file store leaves them, and a folder without creds.json.
    const planted = new Map<string, { preKey: KeyPair; session: Buffer }>();
    for (const userId of ['import_a', 'import_b']) {
      const files = await useMultiFileAuthState(join(sessionsDir, userId));
      Object.assign(files.state.creds, initAuthCreds(), {
        me: { id: `${userId}@s.whatsapp.net` },
      });
      await files.saveCreds();
      const preKey = keyPair();
      const session = randomBytes(48);
      await files.state.keys.set({
        'pre-key': { '7': preKey },
        session: { '33600000009.0': session },
        'sender-key': { '120363@g.us::33600000009::0': randomBytes(16) },
      });
      planted.set(userId, { preKey, session });
    }
    await mkdir(join(sessionsDir, 'no_creds'));
    await writeFile(join(sessionsDir, 'no_creds', 'pre-key-1.json'), '{}');
    const env = { MONGODB_URI: mongoUri, WHATSAPP_SESSIONS_DIR: sessionsDir };

    const first = await runImport(env);
    expect(first.output).toContain(
      'sessions:import: 2 imported, 0 already in MongoDB, 0 failed',
    );
    expect(first.code).toBe(0);

    expect(await store.listUsersWithCredentials()).toEqual([
      'import_a',
      'import_b',
    ]);
    for (const [userId, keys] of planted) {
      const fromFiles = await useMultiFileAuthState(join(sessionsDir, userId));
      const { state } = await store.authStateFor(userId);
      expect(state.creds).toEqual(fromFiles.state.creds);
      expect(await state.keys.get('pre-key', ['7'])).toEqual({
        '7': keys.preKey,
      });
      expect(await state.keys.get('session', ['33600000009.0'])).toEqual({
        '33600000009.0': keys.session,
      });
      expect(
        await state.keys.get('sender-key', ['120363@g.us::33600000009::0']),
      ).toEqual(
        await fromFiles.state.keys.get('sender-key', [
          '120363@g.us::33600000009::0',
        ]),
      );
    }
    expect(await model.countDocuments({ userId: 'no_creds' })).toBe(0);

    // Since then import_a ran on MongoDB and its creds moved on: a second run must not roll them back.
    const live = await store.authStateFor('import_a');
    live.state.creds.accountSyncCounter = 42;
    await live.saveCreds();
    const before = await model
      .find({})
      .sort({ userId: 1, type: 1, keyId: 1 })
      .lean();

    const second = await runImport(env);
    expect(second.output).toContain(
      'sessions:import: 0 imported, 2 already in MongoDB, 0 failed',
    );
    expect(second.code).toBe(0);
    expect(
      await model.find({}).sort({ userId: 1, type: 1, keyId: 1 }).lean(),
    ).toEqual(before);
    expect(
      (await store.authStateFor('import_a')).state.creds.accountSyncCounter,
    ).toBe(42);
  }, 120_000);
});
