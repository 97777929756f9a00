/**
 * A raw Baileys socket built exactly as an app would (multi-file auth state, creds saved on every update),
 * with recorders for what it reports: connection updates, creds updates, message statuses and incoming
 * messages. For specs that drive Baileys against the WhatsApp-edge simulator without the Nest app.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  makeWASocket,
  proto,
  useMultiFileAuthState,
  type AuthenticationCreds,
  type ConnectionState,
  type MessageUpsertType,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import { waitUntil } from './wait';
import type { WaSimulator } from './wa-simulator';

const WAIT_TIMEOUT_MS = 5_000;

// Set WA_SIM_LOG_LEVEL=debug to see what Baileys does while a story runs.
const logger = pino({ level: process.env.WA_SIM_LOG_LEVEL ?? 'silent' });

export type ConnectionUpdate = Partial<ConnectionState>;
export const MessageStatus = proto.WebMessageInfo.Status;

export interface IncomingMessage {
  readonly type: MessageUpsertType;
  readonly message: WAMessage;
}

/** The text of a conversation or extended-text message. */
export const textOf = (message: WAMessage): string | null | undefined =>
  message.message?.conversation ?? message.message?.extendedTextMessage?.text;

export interface TestClient {
  readonly sock: WASocket;
  readonly updates: ConnectionUpdate[];
  readonly credsUpdates: Partial<AuthenticationCreds>[];
  /** Every status Baileys reported per message id (messages.upsert and messages.update), in order. */
  readonly statuses: Map<string, number[]>;
  /** messages.upsert entries that are not our own, with the upsert type ('notify' live, 'append' offline). */
  readonly incoming: IncomingMessage[];
  /** Resolves with the first update (past or future) matching the predicate. */
  update(
    predicate: (update: ConnectionUpdate) => boolean,
  ): Promise<ConnectionUpdate>;
  /** Resolves once message `id` has been reported at `status` or beyond. */
  reachedStatus(id: string, status: number): Promise<void>;
  /** The highest status reported for `id` (statuses never go backwards in what an app should keep). */
  statusOf(id: string): number | undefined;
  /** Resolves with the first incoming message (past or future) matching the predicate. */
  incomingMessage(
    predicate: (incoming: IncomingMessage) => boolean,
  ): Promise<IncomingMessage>;
  /** Resolves once every creds.update has been written to the auth dir. */
  credsSaved(): Promise<void>;
}

const openSockets: WASocket[] = [];
const authDirs: string[] = [];

export const statusCodeOf = (update: ConnectionUpdate): number | undefined => {
  const error = update.lastDisconnect?.error;
  return error && 'output' in error ? error.output.statusCode : undefined;
};

export const newAuthDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'wa-sim-auth-'));
  authDirs.push(dir);
  return dir;
};

/** Ends every socket connect() opened; call after the simulator went quiet. */
export const endAllSockets = async (): Promise<void> => {
  for (const sock of openSockets.splice(0)) await sock.end(undefined);
};

export const removeAuthDirs = async (): Promise<void> => {
  await Promise.all(
    authDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })),
  );
};

const summarize = (update: ConnectionUpdate): Record<string, unknown> => ({
  connection: update.connection,
  qr: update.qr === undefined ? undefined : 'qr',
  isNewLogin: update.isNewLogin,
  code: statusCodeOf(update),
});

const recordStatus = (
  statuses: Map<string, number[]>,
  id: string | null | undefined,
  status: number | null | undefined,
): void => {
  if (!id || status === null || status === undefined) return;
  statuses.set(id, [...(statuses.get(id) ?? []), status]);
};

export interface ConnectOptions {
  readonly qrTimeout?: number;
  /**
   * false sets `shouldSyncHistoryMessage: () => false`. On a device's first connections (until one history
   * sync, or a 20 s wait, bumps creds.accountSyncCounter) Baileys buffers messages.* events for up to 20 s
   * waiting for the phone's history sync, which the simulator never sends; live stanzas flush that buffer,
   * stanzas delivered from the offline queue do not.
   */
  readonly historySync?: boolean;
}

/** A socket exactly as an app would build it: multi-file auth state, creds saved on every update. */
export const connect = async (
  sim: WaSimulator,
  authDir: string,
  { qrTimeout, historySync = true }: ConnectOptions = {},
): Promise<TestClient> => {
  const { state, saveCreds } = await useMultiFileAuthState(authDir);
  const sock = makeWASocket({
    auth: state,
    waWebSocketUrl: sim.url,
    logger,
    ...(qrTimeout === undefined ? {} : { qrTimeout }),
    ...(historySync ? {} : { shouldSyncHistoryMessage: () => false }),
  });
  openSockets.push(sock);

  const updates: ConnectionUpdate[] = [];
  const credsUpdates: Partial<AuthenticationCreds>[] = [];
  const statuses = new Map<string, number[]>();
  const incoming: IncomingMessage[] = [];
  const listeners = new Set<() => void>();
  let saving = Promise.resolve();

  sock.ev.on('creds.update', (update) => {
    credsUpdates.push(update);
    saving = saving.then(saveCreds);
  });
  sock.ev.on('connection.update', (update) => {
    updates.push(update);
    for (const listener of [...listeners]) listener();
  });
  sock.ev.on('messages.upsert', ({ messages, type }) => {
    for (const message of messages) {
      if (message.key.fromMe)
        recordStatus(statuses, message.key.id, message.status);
      else incoming.push({ type, message });
    }
  });
  sock.ev.on('messages.update', (changes) => {
    for (const { key, update } of changes) {
      if (key.fromMe) recordStatus(statuses, key.id, update.status);
    }
  });

  const update = (
    predicate: (u: ConnectionUpdate) => boolean,
  ): Promise<ConnectionUpdate> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = updates.find(predicate);
        if (found) {
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(found);
        }
        return found !== undefined;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `no matching connection.update; got ${JSON.stringify(updates.map(summarize))}`,
          ),
        );
      }, WAIT_TIMEOUT_MS);
      listeners.add(listener);
      check();
    });

  const statusOf = (id: string): number | undefined => {
    const seen = statuses.get(id);
    return seen ? Math.max(...seen) : undefined;
  };

  return {
    sock,
    updates,
    credsUpdates,
    statuses,
    incoming,
    update,
    statusOf,
    reachedStatus: (id, status) =>
      waitUntil(() => (statusOf(id) ?? -1) >= status, {
        timeoutMs: WAIT_TIMEOUT_MS,
        what: `message ${id} to reach status ${MessageStatus[status]} (seen ${JSON.stringify(statuses.get(id) ?? [])})`,
      }),
    incomingMessage: async (predicate) => {
      await waitUntil(() => incoming.some(predicate), {
        timeoutMs: WAIT_TIMEOUT_MS,
        what: 'an incoming message',
      });
      const found = incoming.find(predicate);
      if (!found) throw new Error('incoming message vanished');
      return found;
    },
    credsSaved: () => saving,
  };
};
