/**
 * Durability of the outbox: the real main.ts in its own process, sending
 * through the production Baileys factory to the simulator, killed with
 * SIGKILL in the middle of a batch and started again on the same database
 * and sessions folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, startAppProcess } from './support/app-process';
import { testDatabaseUri, stopTestDatabase } from './support/test-database';
import { TEST_JWT_SECRET, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import { WaSimulator } from './support/wa-simulator';
import { simulatorRootEnvironment } from './support/wa-simulator-trust';

const CONTACT = '33698765400';
const MESSAGES = 50;
const USER = 'crash_user';

interface MessageBody {
  id: string;
  text: string;
  status: string;
  whatsappMessageId: string;
}

describe('the outbox across a SIGKILL (e2e)', () => {
  let sim: WaSimulator;
  let sessionsDir: string;
  const apps: AppProcess[] = [];

  beforeAll(async () => {
    sim = await WaSimulator.start();
    sim.addContact(CONTACT);
    sessionsDir = await mkdtemp(join(tmpdir(), 'relance-crash-'));
  });

  afterEach(() => {
    // On a failure, what the app processes printed is the first thing to read.
    for (const app of apps) process.stdout.write(app.output().slice(-4000));
  });

  afterAll(async () => {
    for (const app of apps) await app.kill('SIGKILL');
    await sim.close();
    await rm(sessionsDir, { recursive: true, force: true });
    await stopTestDatabase();
  });

  it('delivers all fifty messages after a kill mid-batch; any copy sent again carries its first id', async () => {
    const env = {
      JWT_SECRET: TEST_JWT_SECRET,
      MONGODB_URI: await testDatabaseUri(),
      WHATSAPP_SESSIONS_DIR: sessionsDir,
      WHATSAPP_WS_URL: sim.url,
      WHATSAPP_SEND_INTERVAL_MS: '60',
      WHATSAPP_RESTORE_JITTER_MS: '0',
      MESSAGE_POLL_INTERVAL_MS: '100',
      // Longer than Baileys' 20 s hold of message events after a link while it
      // waits for a history sync the simulator never sends: no resend storm.
      MESSAGE_ACK_TIMEOUT_MS: '30000',
      ...simulatorRootEnvironment(),
    };
    const authorization = `Bearer ${await tokenFor(USER)}`;
    const call = async (
      app: AppProcess,
      path: string,
      init: RequestInit = {},
    ) => {
      const response = await fetch(`${app.url}${path}`, {
        ...init,
        headers: {
          authorization,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
        },
      });
      return {
        status: response.status,
        body: (await response.json()) as unknown,
      };
    };

    const first = await startAppProcess(env, { trustSimulator: true });
    apps.push(first);
    const qr = await call(first, '/api/relance/qr');
    expect(qr.status).toBe(200);
    await sim.scan((qr.body as { qr: string }).qr, { phone: '33611300001' });
    await waitUntil(
      async () =>
        ((await call(first, '/api/relance/status')).body as { status: string })
          .status === 'connected',
      { timeoutMs: 20_000, what: 'connected' },
    );
    await sim.waitForQuiet();

    const accepted: MessageBody[] = [];
    for (let i = 1; i <= MESSAGES; i += 1) {
      const created = await call(first, '/api/relance/messages', {
        method: 'POST',
        body: JSON.stringify({ to: CONTACT, text: `relance ${i}` }),
      });
      expect(created.status).toBe(202);
      accepted.push(created.body as MessageBody);
    }
    await waitUntil(() => sim.received(CONTACT).length >= 10, {
      timeoutMs: 60_000,
      what: 'ten messages at the contact',
    });
    await first.kill('SIGKILL');
    const beforeRestart = sim.received(CONTACT).length;
    expect(beforeRestart).toBeLessThan(MESSAGES);

    const second = await startAppProcess(env, { trustSimulator: true });
    apps.push(second);
    const arrivedIds = () =>
      new Set(sim.received(CONTACT).map((copy) => copy.id));
    await waitUntil(() => arrivedIds().size === MESSAGES, {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: 'all fifty at the contact',
    });
    // Every message ends accepted by WhatsApp. `delivered` is not required of
    // all: a receipt that Baileys had acknowledged to the edge but the killed
    // process had not stored yet is gone (WhatsApp does not send it again),
    // so that message stays `sent` although it arrived.
    await waitUntil(
      async () => {
        const page = (await call(second, '/api/relance/messages?limit=100'))
          .body as { items: MessageBody[] };
        return page.items.every((message) =>
          ['sent', 'delivered'].includes(message.status),
        );
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every message sent' },
    );

    const textById = new Map(
      accepted.map((message) => [message.whatsappMessageId, message.text]),
    );
    const copies = sim.received(CONTACT);
    expect(arrivedIds()).toEqual(new Set(textById.keys()));
    for (const copy of copies) expect(copy.text).toBe(textById.get(copy.id));
    expect(
      copies.filter((copy) => !copy.duplicate).map((copy) => copy.text),
    ).toEqual(accepted.map((message) => message.text));
    // libsignal prints session records, private keys included, when it opens
    // and closes sessions (as a resend after a crash does): none reach the log.
    for (const app of apps)
      expect(app.output()).not.toMatch(/privKey|Closing session/);
  }, 360_000);
});
