/**
 * Follow-up messages end to end: the real app with the production Baileys
 * factory, against the WhatsApp-edge simulator, whose contacts decrypt what
 * they receive. Asserted on both sides: what the API reports, and the text
 * each contact actually decrypted.
 */
import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import { WaSimulator, type LinkedDevice } from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const STORY_TIMEOUT_MS = 60_000;
const CONTACT = '33698765432';

interface MessageBody {
  id: string;
  status: string;
  whatsappMessageId: string;
  error: { code: string; reason: string } | null;
}

let sim: WaSimulator;
let distrust: () => void;
let testApp: TestApp | undefined;

async function startApp(): Promise<TestApp> {
  testApp = await createTestApp({
    env: {
      WHATSAPP_WS_URL: sim.url,
      WHATSAPP_MAX_CONNECTION_FAILURES: '3',
      WHATSAPP_RECONNECT_BASE_MS: '100',
      WHATSAPP_RECONNECT_MAX_MS: '400',
      WHATSAPP_QR_WAIT_MS: '10000',
      WHATSAPP_SEND_INTERVAL_MS: '50',
      MESSAGE_POLL_INTERVAL_MS: '100',
      MESSAGE_ACK_TIMEOUT_MS: '3000',
      RATE_LIMIT_QR_PER_MINUTE: '1000',
    },
  });
  return testApp;
}

/** One user of the app, over HTTP with their own token. */
async function userOf(app: TestApp, userId: string) {
  const auth = bearer(await tokenFor(userId));
  const http = () => request(app.app.getHttpServer());
  const message = async (id: string) =>
    (await http().get(`/api/relance/messages/${id}`).set(auth).expect(200))
      .body as MessageBody;
  return {
    status: async () =>
      (
        (await http().get('/api/relance/status').set(auth).expect(200))
          .body as { status: string }
      ).status,
    getQr: () => http().get('/api/relance/qr').set(auth),
    send: async (body: object) =>
      (
        (
          await http()
            .post('/api/relance/messages')
            .set(auth)
            .send({ to: `+${CONTACT}`, ...body })
            .expect(202)
        ).body as MessageBody
      ).id,
    message,
    until: (id: string, status: string) =>
      waitUntil(async () => (await message(id)).status === status, {
        timeoutMs: 20_000,
        what: `message ${id} to be ${status}`,
      }),
  };
}
type User = Awaited<ReturnType<typeof userOf>>;

async function link(user: User, phone: string): Promise<LinkedDevice> {
  const answer = await user.getQr().expect(200);
  const device = await sim.scan((answer.body as { qr: string }).qr, { phone });
  await waitUntil(async () => (await user.status()) === 'connected', {
    what: 'connected',
  });
  await sim.waitForQuiet();
  return device;
}

/** What the contact decrypted, first copies only, in arrival order. */
const textsAtContact = () =>
  sim
    .received(CONTACT)
    .filter((m) => !m.duplicate)
    .map((m) => m.text);

afterAll(async () => {
  await stopTestDatabase();
});

describe('follow-up messages through the real app and the simulator (e2e)', () => {
  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(() => distrust());

  beforeEach(async () => {
    sim = await WaSimulator.start();
    sim.addContact(CONTACT);
  });

  afterEach(async () => {
    await sim.waitForQuiet().catch(() => undefined);
    await testApp?.close();
    testApp = undefined;
    await sim.close();
  });

  it(
    'sends while connected: the contact decrypts exactly the text, and the message ends delivered, then read',
    async () => {
      const alice = await userOf(await startApp(), 'msg_sim_send');
      await link(alice, '33611200001');
      const text = 'Bonjour ! Petite relance au sujet du devis n° 1234 🙂';
      const id = await alice.send({ text });
      await alice.until(id, 'delivered');
      expect(textsAtContact()).toEqual([text]);
      const sent = await alice.message(id);
      expect(sim.received(CONTACT)[0].id).toBe(sent.whatsappMessageId);
      await sim.markRead(CONTACT, [sent.whatsappMessageId]);
      await alice.until(id, 'read');
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'delivers three messages queued while the edge drops the connection, after the reconnect, in order, each once',
    async () => {
      const bob = await userOf(await startApp(), 'msg_sim_flap');
      const device = await link(bob, '33611200002');
      await sim.kick(device.user, 428);
      const ids = [
        await bob.send({ text: 'one' }),
        await bob.send({ text: 'two' }),
        await bob.send({ text: 'three' }),
      ];
      for (const id of ids) await bob.until(id, 'delivered');
      expect(textsAtContact()).toEqual(['one', 'two', 'three']);
      // Any copy sent again carries the id of its first copy.
      const firstIds = new Set(
        sim
          .received(CONTACT)
          .filter((m) => !m.duplicate)
          .map((m) => m.id),
      );
      for (const copy of sim.received(CONTACT))
        expect(firstIds.has(copy.id)).toBe(true);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'fails queued messages with session_reset at the threshold, and sends none from the next linked account',
    async () => {
      const carol = await userOf(await startApp(), 'msg_sim_reset');
      const device = await link(carol, '33611200003');
      sim.rejectLogins(device.user, 401);
      await sim.kick(device.user, 401);
      const ids = [
        await carol.send({ text: 'a' }),
        await carol.send({ text: 'b' }),
      ];
      for (const id of ids) await carol.until(id, 'failed');
      expect((await carol.message(ids[0])).error).toEqual({
        code: 'SESSION_RESET',
        reason: 'session_reset',
      });
      await link(carol, '33611200033');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(sim.received(CONTACT)).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'cancels a cancelOnReply follow-up when the contact replies, and never sends it',
    async () => {
      const dave = await userOf(await startApp(), 'msg_sim_reply');
      const device = await link(dave, '33611200004');
      const id = await dave.send({
        text: 'Avez-vous pu regarder notre proposition ?',
        sendAt: new Date(Date.now() + 60_000).toISOString(),
        cancelOnReply: true,
      });
      await sim.sendFromContact(CONTACT, device.user, 'Oui, merci !');
      await dave.until(id, 'cancelled');
      expect((await dave.message(id)).error?.reason).toBe('contact_replied');
      expect(sim.received(CONTACT)).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );
});
