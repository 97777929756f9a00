import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import {
  AuthenticationCreds,
  BufferJSON,
  initAuthCreds,
  proto,
  SignalDataSet,
  SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import { Mutex } from 'async-mutex';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { USER_ID_PATTERN } from '../../auth/authenticated-user';
import {
  Fence,
  fencedFilter,
  fencedWrite,
} from '../../cluster/ownership/fence';
import {
  CREDS_KEY_ID,
  CREDS_TYPE,
  SessionCredential,
} from '../schemas/session-credential.schema';
import { SignalKeyType, storedKeyId } from './auth-state-keys';
import {
  SessionCredentialStore,
  UserAuthState,
} from './session-credential-store';

type KeysOf<T extends SignalKeyType> = { [id: string]: SignalDataTypeMap[T] };

const serialize = (value: unknown): string =>
  JSON.stringify(value, BufferJSON.replacer);

const deserialize = <T>(text: string): T =>
  JSON.parse(text, BufferJSON.reviver) as T;

/**
 * Baileys' auth state in MongoDB (`sessioncredentials`): one document per
 * entry, `creds` included, so any instance can run any user's socket. A user
 * has stored credentials when their `creds` document exists, which is what
 * the files store means by `creds.json` exists: both stores answer
 * `sessionStored`, the boot restore and the reconnect check alike.
 */
@Injectable()
export class MongoCredentialStore extends SessionCredentialStore {
  readonly kind = 'mongodb';

  describe(): string {
    return 'in MongoDB (collection sessioncredentials)';
  }

  constructor(
    @InjectModel(SessionCredential.name)
    private readonly model: Model<SessionCredential>,
  ) {
    super();
  }

  async authStateFor(userId: string, fence?: Fence): Promise<UserAuthState> {
    assertUserId(userId);
    const stored = await this.model
      .findOne({ userId, type: CREDS_TYPE, keyId: CREDS_KEY_ID })
      .lean();
    const creds = stored
      ? deserialize<AuthenticationCreds>(stored.value)
      : initAuthCreds();
    // One socket's writes are applied in the order Baileys makes them, as the
    // multi-file store's per-file locks do: a later creds snapshot or key
    // value never lands before an earlier one.
    const credsWrites = new Mutex();
    const keyWrites = new Mutex();
    return {
      state: {
        creds,
        keys: {
          get: (type, ids) => this.getKeys(userId, type, ids),
          set: (data) =>
            keyWrites.runExclusive(() => this.setKeys(userId, data, fence)),
        },
      },
      saveCreds: () =>
        credsWrites.runExclusive(() =>
          this.fenced(userId, fence, async () => {
            await this.model.updateOne(
              {
                userId,
                type: CREDS_TYPE,
                keyId: CREDS_KEY_ID,
                ...this.fenceFilter(fence),
              },
              { $set: { value: serialize(creds), ...this.epochOf(fence) } },
              { upsert: true },
            );
          }),
        ),
    };
  }

  async hasCredentials(userId: string): Promise<boolean> {
    assertUserId(userId);
    const found = await this.model.exists({
      userId,
      type: CREDS_TYPE,
      keyId: CREDS_KEY_ID,
    });
    return found !== null;
  }

  async delete(userId: string, fence?: Fence): Promise<void> {
    assertUserId(userId);
    await this.fenced(userId, fence, async () => {
      // A newer owner's documents (a higher epoch) are not ours to delete.
      await this.model.deleteMany({ userId, ...this.fenceFilter(fence) });
    });
  }

  private fenced<T>(
    userId: string,
    fence: Fence | undefined,
    write: () => Promise<T>,
  ): Promise<T> {
    return fence ? fencedWrite(userId, fence, write) : write();
  }

  private fenceFilter(fence: Fence | undefined) {
    return fence ? fencedFilter('epoch', fence.epoch) : {};
  }

  private epochOf(fence: Fence | undefined) {
    return fence ? { epoch: fence.epoch } : {};
  }

  async listUsersWithCredentials(): Promise<string[]> {
    const users = await this.model.distinct('userId', { type: CREDS_TYPE });
    return users.map(String).sort();
  }

  /** Writable means connected to a primary: a secondary or a lost connection takes no writes. */
  async assertWritable(): Promise<void> {
    const db = this.model.db.db;
    if (!db) throw new Error('MongoDB is not connected');
    const hello = await db.admin().command({ hello: 1 });
    if (hello.isWritablePrimary !== true)
      throw new Error('MongoDB is not a writable primary');
  }

  /** One query for all the ids; a missing key is null, as in Baileys' own stores. */
  private async getKeys<T extends SignalKeyType>(
    userId: string,
    type: T,
    ids: string[],
  ): Promise<KeysOf<T>> {
    const keyIds = [...new Set(ids.map(storedKeyId))];
    const found = await this.model
      .find({ userId, type, keyId: { $in: keyIds } }, { keyId: 1, value: 1 })
      .lean();
    const values = new Map(found.map((doc) => [doc.keyId, doc.value]));
    const result: { [id: string]: unknown } = {};
    for (const id of ids) {
      const text = values.get(storedKeyId(id));
      let value: unknown = text === undefined ? null : deserialize(text);
      if (type === 'app-state-sync-key' && value)
        value = proto.Message.AppStateSyncKeyData.fromObject(value);
      result[id] = value;
    }
    return result as KeysOf<T>;
  }

  /** One bulkWrite: an upsert per value, a delete per null; resolves once the server has it. */
  private async setKeys(
    userId: string,
    data: SignalDataSet,
    fence: Fence | undefined,
  ): Promise<void> {
    const operations: AnyBulkWriteOperation<SessionCredential>[] = [];
    for (const [type, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        const filter = {
          userId,
          type,
          keyId: storedKeyId(id),
          ...this.fenceFilter(fence),
        };
        operations.push(
          value === null || value === undefined
            ? { deleteOne: { filter } }
            : {
                updateOne: {
                  filter,
                  update: {
                    $set: { value: serialize(value), ...this.epochOf(fence) },
                  },
                  upsert: true,
                },
              },
        );
      }
    }
    if (operations.length === 0) return;
    await this.fenced(userId, fence, () =>
      this.model.bulkWrite(operations, { ordered: true }),
    );
  }
}

/** The same ids as the files store accepts, so switching stores never changes who may have a session. */
function assertUserId(userId: string): void {
  if (!USER_ID_PATTERN.test(userId))
    throw new BadRequestException('Invalid user id');
}
