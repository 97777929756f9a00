import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { BufferJSON } from '@whiskeysockets/baileys';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import {
  CREDS_KEY_ID,
  CREDS_TYPE,
  SessionCredential,
} from '../schemas/session-credential.schema';
import { parseKeyFileName } from './auth-state-keys';
import { CREDENTIALS_FILE, SessionFiles } from './session-files';

export interface ImportSummary {
  /** Users copied into MongoDB by this run. */
  imported: string[];
  /** Users whose credentials were already in MongoDB: left as they are. */
  alreadyInMongo: string[];
  /** Users whose files could not be read (named in the log); nothing of theirs was marked as stored. */
  failed: string[];
}

type Entry = { type: string; keyId: string; value: string };

/** Key upserts per bulkWrite: a user with many sessions stays well below the server's batch limits. */
const BATCH_SIZE = 500;

/**
 * Copies a files store (WHATSAPP_SESSIONS_DIR) into the MongoDB store,
 * idempotently. Each user's keys are written first and their `creds` last:
 * the `creds` document is what makes a user "stored", so a run interrupted
 * midway leaves that user unstored, and the next run completes them. A user
 * whose `creds` are already in MongoDB is skipped, so a second run never
 * overwrites newer credentials with the older files.
 */
@Injectable()
export class SessionImporter {
  private readonly logger = new Logger(SessionImporter.name);

  constructor(
    private readonly files: SessionFiles,
    @InjectModel(SessionCredential.name)
    private readonly model: Model<SessionCredential>,
  ) {}

  async importAll(): Promise<ImportSummary> {
    const summary: ImportSummary = {
      imported: [],
      alreadyInMongo: [],
      failed: [],
    };
    for (const userId of await this.files.listUsersWithCredentials()) {
      try {
        const outcome = await this.importUser(userId);
        summary[outcome].push(userId);
      } catch (error) {
        this.logger.error(
          `Could not import the session files of user ${userId}: ${(error as Error).message}`,
        );
        summary.failed.push(userId);
      }
    }
    return summary;
  }

  private async importUser(
    userId: string,
  ): Promise<'imported' | 'alreadyInMongo'> {
    const present = await this.model.exists({
      userId,
      type: CREDS_TYPE,
      keyId: CREDS_KEY_ID,
    });
    if (present) return 'alreadyInMongo';
    const dir = this.files.dirFor(userId);
    const keys: Entry[] = [];
    let creds: Entry | undefined;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      // Symlinks and folders are never followed (see SessionFiles).
      if (!entry.isFile()) continue;
      if (entry.name === CREDENTIALS_FILE) {
        creds = {
          type: CREDS_TYPE,
          keyId: CREDS_KEY_ID,
          value: await readJson(join(dir, entry.name)),
        };
        continue;
      }
      const key = parseKeyFileName(entry.name);
      if (!key) {
        this.logger.warn(
          `Skipping ${entry.name} of user ${userId}: not a Baileys key file`,
        );
        continue;
      }
      keys.push({ ...key, value: await readJson(join(dir, entry.name)) });
    }
    if (!creds) throw new Error(`${CREDENTIALS_FILE} disappeared`);
    for (let start = 0; start < keys.length; start += BATCH_SIZE)
      await this.upsert(userId, keys.slice(start, start + BATCH_SIZE));
    await this.upsert(userId, [creds]);
    return 'imported';
  }

  private async upsert(userId: string, entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const operations: AnyBulkWriteOperation<SessionCredential>[] = entries.map(
      ({ type, keyId, value }) => ({
        updateOne: {
          filter: { userId, type, keyId },
          update: { $set: { value } },
          upsert: true,
        },
      }),
    );
    await this.model.bulkWrite(operations);
  }
}

/** The file's text, as Baileys wrote it with BufferJSON; refused when it is not JSON. */
async function readJson(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  JSON.parse(text, BufferJSON.reviver);
  return text;
}
