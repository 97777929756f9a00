/**
 * Messaging: follow-ups per second through the outbox against raw Baileys,
 * both sending to contacts of the same WhatsApp-edge simulator (in this
 * process), in the same run.
 *
 * - Outbox: the real app (AppModule + configureApp, Fastify on 127.0.0.1, the
 *   production BaileysSocketFactory pointed at the simulator), one linked
 *   user, WHATSAPP_SEND_INTERVAL_MS=0. Timed from the first POST
 *   /api/relance/messages to the moment the contact's phone has decrypted the
 *   last message. The POSTs go out 8 at a time while the worker delivers.
 * - Raw Baileys, two ways, on its own linked device: `await sendMessage()`
 *   back to back (what a script without an outbox does), and `sendMessage()`
 *   then wait for SERVER_ACK before the next (the delivery worker's
 *   discipline, without the database).
 *
 * Three rounds run all three, each round starting with a different one, so
 * drift and neighbours hit all of them. A warm-up sends the first messages to
 * each fresh contact (device lookup, prekey fetch) before anything is timed.
 *
 * Round trips: command monitoring on the app's client, from the first POST
 * until every message is stored as `delivered`, by collection and purpose.
 * The app's session events give each message's timeline (claimed, receipt,
 * receipt stored, next claimed): where the worker's time goes.
 */
import { NestFactory } from '@nestjs/core';
import { getConnectionToken } from '@nestjs/mongoose';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { WAMessageKey } from '@whiskeysockets/baileys';
import type { Connection } from 'mongoose';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AppModule } from '../src/app.module';
import { configureApp, createFastifyAdapter } from '../src/app.setup';
import { appConfig } from '../src/config/app.config';
import {
  SessionEvent,
  SessionEvents,
} from '../src/relance/events/session-events';
import {
  connect,
  endAllSockets,
  MessageStatus,
  newAuthDir,
  removeAuthDirs,
  type TestClient,
} from '../test/support/baileys-test-client';
import { bearer, tokenFor } from '../test/support/tokens';
import { WaSimulator } from '../test/support/wa-simulator';
import { trustWaSimulatorRoot } from '../test/support/wa-simulator-trust';
import { makeBenchSessionsDir, setBenchEnv } from './support/bench-app';
import { benchDatabaseUri } from './support/bench-database';
import {
  elapsedSeconds,
  forEachBounded,
  log,
  runBenchProcess,
} from './support/bench-process';
import { CommandCounter } from './support/command-counter';
import { BenchRow, ratioRow } from './support/report';

const NAME = 'messaging';
const USER_ID = 'bench_messaging_user';
const APP_PHONE = '33611900001';
const RAW_PHONE = '33611900002';
const APP_CONTACT = '33698900001';
const RAW_CONTACT = '33698900002';
const WARM_UP_MESSAGES = 5;
const ROUNDS = 3;
const MESSAGES_PER_ROUND = 50;
const POST_CONCURRENCY = 8;
const WAIT_MS = 120_000;
const OUTBOX_PHASE = 'outbox';

const textOf = (round: number, i: number) =>
  `Relance n° ${i + 1} (tour ${round + 1}) : avez-vous pu regarder le devis ?`;

interface PostedMessage {
  id: string;
  whatsappMessageId: string;
  status: string;
}

/** When each message of one user reached each step, read from the app's session events. */
class OutboxTimeline {
  /** Claimed for a send (stored `sending`), by message id. */
  readonly claimed = new Map<string, number>();
  /** WhatsApp's first receipt of any kind, by WhatsApp id. */
  readonly receipt = new Map<string, number>();
  /** Its outcome stored (sent, delivered, read or failed), by message id. */
  readonly settled = new Map<string, number>();
  readonly stored = new Map<string, Map<string, number>>();
  private waiters: Array<() => void> = [];

  record(event: SessionEvent): void {
    const now = performance.now();
    if (event.type === 'receipt') {
      if (!this.receipt.has(event.whatsappMessageId))
        this.receipt.set(event.whatsappMessageId, now);
    } else if (event.type === 'messageStatus') {
      if (event.status === 'sending' && !this.claimed.has(event.messageId))
        this.claimed.set(event.messageId, now);
      if (
        !['scheduled', 'queued', 'sending'].includes(event.status) &&
        !this.settled.has(event.messageId)
      )
        this.settled.set(event.messageId, now);
      const byStatus =
        this.stored.get(event.status) ?? new Map<string, number>();
      if (!byStatus.has(event.messageId)) byStatus.set(event.messageId, now);
      this.stored.set(event.status, byStatus);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  storedAs(status: string, id: string): boolean {
    return this.stored.get(status)?.has(id) ?? false;
  }

  /** Resolves once `done()` holds, checked at each event. */
  async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** When raw Baileys reported SERVER_ACK (or beyond) for each id it sent. */
function watchServerAcks(client: TestClient) {
  const acked = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const report = (key: WAMessageKey, status: number | null | undefined) => {
    if (!key.fromMe || !key.id || status === null || status === undefined)
      return;
    if (status < Number(MessageStatus.SERVER_ACK) || acked.has(key.id)) return;
    acked.set(key.id, performance.now());
    waiters.get(key.id)?.();
  };
  client.sock.ev.on('messages.update', (updates) => {
    for (const { key, update } of updates) report(key, update.status);
  });
  client.sock.ev.on('messages.upsert', ({ messages }) => {
    for (const message of messages) report(message.key, message.status);
  });
  return {
    acked,
    wait(id: string): Promise<void> {
      if (acked.has(id)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no SERVER_ACK for ${id}`)),
          WAIT_MS,
        );
        waiters.set(id, () => {
          clearTimeout(timer);
          waiters.delete(id);
          resolve();
        });
      });
    },
  };
}

const average = (values: number[]) =>
  values.length === 0
    ? Number.NaN
    : values.reduce((sum, value) => sum + value, 0) / values.length;

runBenchProcess(NAME, async () => {
  const distrust = trustWaSimulatorRoot();
  const sim = await WaSimulator.start();
  const appContact = sim.addContact(APP_CONTACT);
  const rawContact = sim.addContact(RAW_CONTACT);
  const sessionsDir = await makeBenchSessionsDir();
  setBenchEnv({
    MONGODB_URI: benchDatabaseUri('messaging', { monitorCommands: true }),
    WHATSAPP_SESSIONS_DIR: sessionsDir,
    WHATSAPP_WS_URL: sim.url,
    WHATSAPP_SEND_INTERVAL_MS: '0',
    MESSAGE_ACK_TIMEOUT_MS: '10000',
    MESSAGE_QUEUE_LIMIT: '1000',
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter(appConfig().bodyLimitBytes),
    { logger: ['error'] },
  );
  let connection: Connection | undefined;
  try {
    await configureApp(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    connection = app.get<Connection>(getConnectionToken());
    const events = app.get(SessionEvents);
    const timeline = new OutboxTimeline();
    events.subscribeAll((userId, event) => {
      if (userId === USER_ID) timeline.record(event);
    });
    const { port } = app.getHttpServer().address() as AddressInfo;
    const base = `http://127.0.0.1:${port}/api/relance`;
    const auth = bearer(await tokenFor(USER_ID, { expiresIn: '1h' }));
    const counter = new CommandCounter(connection.getClient());

    // ---------------------------------------------------------------- link both devices
    const connected = events.waitFor(
      USER_ID,
      (e) => e.type === 'status' && e.status === 'connected',
      WAIT_MS,
    );
    const qrAnswer = await fetch(`${base}/qr`, { headers: auth });
    const { qr } = (await qrAnswer.json()) as { qr?: string };
    if (!qr)
      throw new Error(`GET /qr answered ${qrAnswer.status} without a QR`);
    await sim.scan(qr, { phone: APP_PHONE });
    if (!(await connected.promise))
      throw new Error('the app user did not connect');
    const rawAuthDir = await newAuthDir();
    const linking = await connect(sim, rawAuthDir);
    const rawQr = await linking.update((u) => typeof u.qr === 'string');
    await sim.scan(rawQr.qr ?? '', { phone: RAW_PHONE });
    await linking.update((u) => u.connection === 'close');
    await linking.credsSaved();
    const raw = await connect(sim, rawAuthDir);
    await raw.update((u) => u.connection === 'open');
    const acks = watchServerAcks(raw);
    await sim.waitForQuiet();
    log(NAME, 'app user and raw Baileys device linked');

    /** Resolves when `contact` has decrypted message `id` (a first copy). */
    const decrypted = (contact: string, id: string) =>
      sim.waitFor(
        (e) =>
          e.type === 'message-decrypted' &&
          e.user === contact &&
          e.id === id &&
          !e.duplicate,
        WAIT_MS,
      );

    const post = async (text: string): Promise<PostedMessage> => {
      const answer = await fetch(`${base}/messages`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ to: `+${APP_CONTACT}`, text }),
      });
      if (answer.status !== 202)
        throw new Error(
          `POST /messages answered ${answer.status}: ${await answer.text()}`,
        );
      return (await answer.json()) as PostedMessage;
    };

    /** POSTs `texts` (8 in flight), returns the messages in creation order. */
    const postAll = async (texts: string[]): Promise<PostedMessage[]> => {
      const posted = new Array<PostedMessage>(texts.length);
      await forEachBounded(
        texts.map((text, index) => ({ text, index })),
        POST_CONCURRENCY,
        async ({ text, index }) => {
          posted[index] = await post(text);
        },
      );
      return posted;
    };

    const allDelivered = (messages: PostedMessage[]) =>
      timeline.until(
        () => messages.every((m) => timeline.storedAs('delivered', m.id)),
        `${messages.length} messages stored as delivered`,
      );

    const outboxRun = async (texts: string[]) => {
      const started = process.hrtime.bigint();
      const messages = await postAll(texts);
      const last = messages[messages.length - 1];
      // The worker sends in creation order: the last one decrypted means all were.
      await decrypted(appContact.phone, last.whatsappMessageId);
      const seconds = elapsedSeconds(started);
      await allDelivered(messages);
      return { seconds, messages };
    };

    const rawRun = async (texts: string[], waitForAck: boolean) => {
      const started = process.hrtime.bigint();
      const sent: Array<{ id: string; at: number }> = [];
      for (const text of texts) {
        const at = performance.now();
        const message = await raw.sock.sendMessage(rawContact.jid, { text });
        const id = message?.key.id;
        if (!id) throw new Error('sendMessage returned no id');
        sent.push({ id, at });
        if (waitForAck) await acks.wait(id);
      }
      await decrypted(rawContact.phone, sent[sent.length - 1].id);
      const seconds = elapsedSeconds(started);
      await Promise.all(sent.map(({ id }) => acks.wait(id)));
      const ackWaitMs = sent.map(
        ({ id, at }) => (acks.acked.get(id) ?? at) - at,
      );
      return { seconds, ackWaitMs };
    };

    // ---------------------------------------------------------------- warm-up
    const warmUpTexts = Array.from({ length: WARM_UP_MESSAGES }, (_, i) =>
      textOf(-1, i),
    );
    await rawRun(warmUpTexts, true);
    await outboxRun(warmUpTexts);
    await sim.waitForQuiet();
    log(NAME, 'warmed up');

    // ---------------------------------------------------------------- rounds
    let outboxSeconds = 0;
    let rawSeconds = 0;
    let rawAckedSeconds = 0;
    const outboxMessages: PostedMessage[] = [];
    const rawAckWaits: number[] = [];
    const rounds: Array<Record<string, number>> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const texts = Array.from({ length: MESSAGES_PER_ROUND }, (_, i) =>
        textOf(round, i),
      );
      const seconds: Record<string, number> = {};
      const runs: Record<string, () => Promise<void>> = {
        raw: async () => {
          seconds.raw = (await rawRun(texts, false)).seconds;
        },
        rawAcked: async () => {
          const acked = await rawRun(texts, true);
          seconds.rawAcked = acked.seconds;
          rawAckWaits.push(...acked.ackWaitMs);
        },
        outbox: async () => {
          const outbox = await counter.during(OUTBOX_PHASE, () =>
            outboxRun(texts),
          );
          seconds.outbox = outbox.seconds;
          outboxMessages.push(...outbox.messages);
        },
      };
      // Each round starts with a different one, so none always runs first.
      const order = Object.keys(runs);
      for (let i = 0; i < order.length; i += 1) {
        await runs[order[(round + i) % order.length]]();
        await sim.waitForQuiet();
      }
      rawSeconds += seconds.raw;
      rawAckedSeconds += seconds.rawAcked;
      outboxSeconds += seconds.outbox;
      rounds.push({
        rawPerSecond: MESSAGES_PER_ROUND / seconds.raw,
        rawAckedPerSecond: MESSAGES_PER_ROUND / seconds.rawAcked,
        outboxPerSecond: MESSAGES_PER_ROUND / seconds.outbox,
      });
      log(
        NAME,
        `round ${round + 1}: outbox ${(MESSAGES_PER_ROUND / seconds.outbox).toFixed(1)}/s, ` +
          `raw ${(MESSAGES_PER_ROUND / seconds.raw).toFixed(1)}/s, ` +
          `raw awaiting acks ${(MESSAGES_PER_ROUND / seconds.rawAcked).toFixed(1)}/s`,
      );
    }

    // ---------------------------------------------------------------- figures
    const total = ROUNDS * MESSAGES_PER_ROUND;
    const outboxRate = total / outboxSeconds;
    const rawRate = total / rawSeconds;
    const rawAckedRate = total / rawAckedSeconds;
    const delivered = outboxMessages.length;
    const roundTrips = counter.count(OUTBOX_PHASE) / delivered;
    const kinds = counter.kinds(OUTBOX_PHASE);
    const perMessage = Object.fromEntries(
      Object.entries(kinds).map(([kind, count]) => [kind, count / delivered]),
    );
    const serverMs = counter.milliseconds(OUTBOX_PHASE);
    const serverMsPerCommand = Object.fromEntries(
      Object.entries(serverMs).map(([kind, ms]) => [kind, ms / kinds[kind]]),
    );

    // Where one message's time goes in the worker, message after message: claimed (stored
    // `sending`) → sent → WhatsApp's receipt → receipt stored → next message claimed.
    const sendToReceiptMs: number[] = [];
    const receiptToStoredMs: number[] = [];
    const storedToNextClaimMs: number[] = [];
    for (const [index, message] of outboxMessages.entries()) {
      const claimed = timeline.claimed.get(message.id);
      const receipt = timeline.receipt.get(message.whatsappMessageId);
      const settled = timeline.settled.get(message.id);
      if (
        claimed === undefined ||
        receipt === undefined ||
        settled === undefined
      )
        continue;
      sendToReceiptMs.push(receipt - claimed);
      receiptToStoredMs.push(settled - receipt);
      const next = outboxMessages[index + 1];
      const nextClaimed = next ? timeline.claimed.get(next.id) : undefined;
      // Only within a round: the last of a round waits for the next round's POSTs.
      if (nextClaimed !== undefined && (index + 1) % MESSAGES_PER_ROUND !== 0)
        storedToNextClaimMs.push(nextClaimed - settled);
    }
    const workerCycleMs =
      average(sendToReceiptMs) +
      average(receiptToStoredMs) +
      average(storedToNextClaimMs);
    const resent = sim.received(appContact.phone).filter((m) => m.duplicate);
    const onCriticalPath = [
      'find (nextDue)',
      'findAndModify (markSending)',
      'update (backfillSentAt)',
      'findAndModify (receipt: sent)',
      'findAndModify (receipt: delivered)',
    ];
    const criticalPath = onCriticalPath.reduce(
      (sum, kind) => sum + (perMessage[`relancemessages ${kind}`] ?? 0),
      0,
    );
    const byKind = Object.entries(perMessage)
      .sort(([, a], [, b]) => b - a)
      .map(
        ([kind, n]) =>
          `${kind.replace('relancemessages ', '')} ${n.toFixed(2)}`,
      )
      .join(', ');
    log(
      NAME,
      `outbox ${outboxRate.toFixed(1)}/s, raw ${rawRate.toFixed(1)}/s, raw awaiting acks ${rawAckedRate.toFixed(1)}/s; ` +
        `${roundTrips.toFixed(2)} round trips per delivered message (${byKind})`,
    );

    const note = `1 session, ${ROUNDS}×${MESSAGES_PER_ROUND} messages, WHATSAPP_SEND_INTERVAL_MS=0`;
    const rows: BenchRow[] = [
      ratioRow({
        benchmark: 'Messaging',
        figure:
          'messages/s, POST → decrypted at the contact (vs raw Baileys sendMessage)',
        measured: outboxRate,
        baseline: rawRate,
        note: `${note}; raw: await sendMessage() back to back`,
      }),
      ratioRow({
        benchmark: 'Messaging',
        figure: 'messages/s (vs raw sendMessage awaiting SERVER_ACK each)',
        measured: outboxRate,
        baseline: rawAckedRate,
        note: 'raw Baileys with the worker’s discipline, no database',
      }),
      ratioRow({
        benchmark: 'Messaging',
        figure: 'worker time per message (vs raw send → SERVER_ACK)',
        measured: workerCycleMs,
        baseline: average(rawAckWaits),
        unit: 'ms',
        note:
          `claimed → receipt ${average(sendToReceiptMs).toFixed(1)} ms, ` +
          `receipt → stored ${average(receiptToStoredMs).toFixed(1)} ms, ` +
          `stored → next claimed ${average(storedToNextClaimMs).toFixed(1)} ms`,
      }),
      {
        benchmark: 'Messaging',
        figure: 'DB round trips per delivered message',
        measured: roundTrips,
        note: byKind,
      },
      {
        benchmark: 'Messaging',
        figure: "DB round trips per message on the worker's critical path",
        measured: criticalPath,
        note: 'the receipt stored (backfillSentAt + receipt), then nextDue + markSending',
      },
      {
        benchmark: 'Messaging',
        figure: 'copies re-sent to the contact (should be 0)',
        measured: resent.length,
      },
    ];
    return {
      rows,
      details: {
        rounds,
        messagesPerRound: MESSAGES_PER_ROUND,
        postConcurrency: POST_CONCURRENCY,
        outboxSeconds,
        rawSeconds,
        rawAckedSeconds,
        outboxPerSecond: outboxRate,
        rawPerSecond: rawRate,
        rawAckedPerSecond: rawAckedRate,
        delivered,
        roundTrips: {
          total: counter.count(OUTBOX_PHASE),
          perDeliveredMessage: roundTrips,
          byKind: kinds,
          byKindPerMessage: perMessage,
          serverMsByKind: serverMs,
          serverMsPerCommandByKind: serverMsPerCommand,
        },
        timeline: {
          outboxClaimedToReceiptMsAverage: average(sendToReceiptMs),
          outboxReceiptToStoredMsAverage: average(receiptToStoredMs),
          outboxStoredToNextClaimMsAverage: average(storedToNextClaimMs),
          rawSendToServerAckMsAverage: average(rawAckWaits),
        },
        resentCopies: resent.length,
      },
    };
  } finally {
    await sim
      .waitForQuiet()
      .catch((error: unknown) =>
        log(NAME, `simulator not quiet at the end: ${String(error)}`),
      );
    await connection
      ?.dropDatabase()
      .catch((error: unknown) =>
        console.error(`Could not drop the bench database: ${String(error)}`),
      );
    await app.close();
    await endAllSockets();
    await sim.close();
    distrust();
    await removeAuthDirs();
    await rm(sessionsDir, { recursive: true, force: true });
  }
});
