/**
 * The MongoDB credential store on the real database (FerretDB in CI): what
 * Baileys writes through it is what it reads back, Buffers included; null
 * values delete; a user's delete removes only that user's documents.
 */
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { Test, TestingModule } from '@nestjs/testing';
import {
  proto,
  type AuthenticationState,
  type KeyPair,
} from '@whiskeysockets/baileys';
import { randomBytes } from 'node:crypto';
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

describe('MongoCredentialStore on a real database (e2e)', () => {
  let moduleRef: TestingModule;
  let store: MongoCredentialStore;
  let model: Model<SessionCredential>;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        MongooseModule.forRoot(await testDatabaseUri()),
        MongooseModule.forFeature([
          { name: SessionCredential.name, schema: SessionCredentialSchema },
        ]),
      ],
      providers: [MongoCredentialStore],
    }).compile();
    store = moduleRef.get(MongoCredentialStore);
    model = moduleRef.get(getModelToken(SessionCredential.name));
    await model.syncIndexes();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await stopTestDatabase();
  });

  afterEach(async () => {
    await model.deleteMany({});
    jest.restoreAllMocks();
  });

  /** A linked-looking auth state saved through the store, as Baileys does after a scan. */
  const linkUser = async (userId: string): Promise<AuthenticationState> => {
    const { state, saveCreds } = await store.authStateFor(userId);
    state.creds.me = { id: `${userId}@s.whatsapp.net`, name: userId };
    await saveCreds();
    return state;
  };

  it('starts a user who never linked on fresh creds, and stores nothing until they are saved', async () => {
    const { state } = await store.authStateFor('newcomer');
    expect(state.creds.noiseKey.public).toBeInstanceOf(Uint8Array);
    expect(state.creds.me).toBeUndefined();
    expect(await store.hasCredentials('newcomer')).toBe(false);
    expect(await model.countDocuments({ userId: 'newcomer' })).toBe(0);
  });

  it('gives back the saved creds, Buffers and all, to the next socket', async () => {
    const { state, saveCreds } = await store.authStateFor('alice');
    const saved = state.creds;
    saved.me = { id: '33600000001:7@s.whatsapp.net', name: 'Alice' };
    saved.routingInfo = randomBytes(12);
    await saveCreds();
    saved.accountSyncCounter = 5;
    await saveCreds();

    const { state: again } = await store.authStateFor('alice');
    expect(again.creds).toEqual(saved);
    expect(Buffer.isBuffer(again.creds.noiseKey.private)).toBe(true);
    expect(again.creds.routingInfo?.equals(saved.routingInfo)).toBe(true);
    expect(again.creds.accountSyncCounter).toBe(5);
    expect(await store.hasCredentials('alice')).toBe(true);
    expect(await model.countDocuments({ userId: 'alice', type: 'creds' })).toBe(
      1,
    );
  });

  it('round-trips signal keys of every shape with one query per get and one bulkWrite per set', async () => {
    const { keys } = await linkUser('bob');
    const preKey = keyPair();
    const session = randomBytes(64);
    const senderKey = randomBytes(40);
    const syncKey = proto.Message.AppStateSyncKeyData.fromObject({
      keyData: randomBytes(32),
      timestamp: 1700000000,
    });
    const bulkWrite = jest.spyOn(model, 'bulkWrite');
    await keys.set({
      'pre-key': { '1': preKey, '2': keyPair() },
      session: { '33600000002.0': session },
      // Ids with ':' and '/' are stored as the multi-file store names them.
      'sender-key': { '120363@g.us::33600000002::0': senderKey },
      'sender-key-memory': {
        '120363@g.us': { '33600000002:1@s.whatsapp.net': true },
      },
      'app-state-sync-key': { 'AAAA/BB==': syncKey },
      'lid-mapping': { '33600000002': '1234567@lid' },
    });
    expect(bulkWrite).toHaveBeenCalledTimes(1);

    const find = jest.spyOn(model, 'find');
    const preKeys = await keys.get('pre-key', ['1', '2', '99']);
    expect(find).toHaveBeenCalledTimes(1);
    expect(preKeys['1']).toEqual(preKey);
    expect(Buffer.isBuffer(preKeys['1'].private)).toBe(true);
    expect(preKeys['99']).toBeNull();
    expect(
      (await keys.get('session', ['33600000002.0']))['33600000002.0'],
    ).toEqual(session);
    expect(
      (await keys.get('sender-key', ['120363@g.us::33600000002::0']))[
        '120363@g.us::33600000002::0'
      ],
    ).toEqual(senderKey);
    expect(
      (await keys.get('sender-key-memory', ['120363@g.us']))['120363@g.us'],
    ).toEqual({ '33600000002:1@s.whatsapp.net': true });
    const sync = (await keys.get('app-state-sync-key', ['AAAA/BB==']))[
      'AAAA/BB=='
    ];
    expect(sync).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(sync.keyData!)).toEqual(Buffer.from(syncKey.keyData!));
    expect(
      (await keys.get('lid-mapping', ['33600000002']))['33600000002'],
    ).toBe('1234567@lid');
    expect(
      (await model.find({ userId: 'bob', type: 'sender-key' }).lean()).map(
        (doc) => doc.keyId,
      ),
    ).toEqual(['120363@g.us--33600000002--0']);
  });

  it('deletes a key written as null and overwrites one written again, in the same batch', async () => {
    const { keys } = await linkUser('carol');
    const replacement = keyPair();
    await keys.set({ 'pre-key': { '1': keyPair(), '2': keyPair() } });
    await keys.set({ 'pre-key': { '1': null, '2': replacement } });
    expect(await keys.get('pre-key', ['1', '2'])).toEqual({
      '1': null,
      '2': replacement,
    });
    expect(
      await model.countDocuments({ userId: 'carol', type: 'pre-key' }),
    ).toBe(1);
  });

  it('keeps every user to their own keys', async () => {
    const dave = await linkUser('dave');
    const erin = await linkUser('erin');
    const davesKey = keyPair();
    await dave.keys.set({ 'pre-key': { '1': davesKey } });
    expect(await erin.keys.get('pre-key', ['1'])).toEqual({ '1': null });
    expect(await dave.keys.get('pre-key', ['1'])).toEqual({ '1': davesKey });
  });

  it('delete removes every document of that user only, and is idempotent', async () => {
    const frank = await linkUser('frank');
    await frank.keys.set({
      'pre-key': { '1': keyPair() },
      session: { a: randomBytes(8) },
    });
    await linkUser('grace');

    await store.delete('frank');
    await store.delete('frank');

    expect(await model.countDocuments({ userId: 'frank' })).toBe(0);
    expect(await store.hasCredentials('frank')).toBe(false);
    expect(await store.hasCredentials('grace')).toBe(true);
    const fresh = await store.authStateFor('frank');
    expect(fresh.state.creds.me).toBeUndefined();
  });

  it('lists exactly the users with stored creds (keys alone do not make a session)', async () => {
    await linkUser('henry');
    await linkUser('ivy');
    // Keys without creds: what an interrupted import or a delete racing a key write could leave.
    await model.create({
      userId: 'orphan',
      type: 'pre-key',
      keyId: '1',
      value: '{}',
    });
    expect(await store.listUsersWithCredentials()).toEqual(['henry', 'ivy']);
    expect(await store.hasCredentials('orphan')).toBe(false);
  });

  it('refuses an invalid user id as the files store does', async () => {
    await expect(store.authStateFor('../x')).rejects.toThrow('Invalid user id');
    await expect(store.hasCredentials('a b')).rejects.toThrow(
      'Invalid user id',
    );
    await expect(store.delete('')).rejects.toThrow('Invalid user id');
  });

  it('reports the database as writable', async () => {
    await expect(store.assertWritable()).resolves.toBeUndefined();
  });
});
