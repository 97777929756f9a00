import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import request from 'supertest';
import { RelanceConfig } from '../src/relance/schemas/relance-config.schema';
import {
  FakeSocket,
  FakeSocketFactory,
  plantStoredSession,
} from './support/fake-socket-factory';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

interface MessageBody {
  id: string;
  to: string;
  text: string;
  status: string;
  attempts: number;
  whatsappMessageId: string;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  error: { code: string; reason: string } | null;
}

/**
 * The outbox through HTTP with scripted sockets: what a client of
 * POST /messages sees while the session connects, flaps and resets.
 */
describe('follow-up messages through the outbox (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;
  let auth: { Authorization: string };
  const userId = 'msg_user';

  beforeEach(async () => {
    factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        WHATSAPP_QR_WAIT_MS: '2000',
        WHATSAPP_RECONNECT_BASE_MS: '60000',
        WHATSAPP_RECONNECT_MAX_MS: '60000',
        WHATSAPP_SEND_INTERVAL_MS: '0',
        MESSAGE_POLL_INTERVAL_MS: '50',
        MESSAGE_ACK_TIMEOUT_MS: '400',
        MESSAGE_QUEUE_LIMIT: '5',
      },
      sockets: factory,
    });
    auth = bearer(await tokenFor(userId));
  });

  afterEach(async () => {
    await testApp?.close();
  });

  afterAll(async () => {
    await stopTestDatabase();
  });

  const http = () => request(testApp.app.getHttpServer());
  const post = (body: object, as = auth) =>
    http().post('/api/relance/messages').set(as).send(body);
  const get = async (id: string): Promise<MessageBody> =>
    (await http().get(`/api/relance/messages/${id}`).set(auth).expect(200))
      .body as MessageBody;
  const statusOf = async (id: string) => (await get(id)).status;
  const until = (id: string, status: string) =>
    waitUntil(async () => (await statusOf(id)) === status, {
      what: `message ${id} to be ${status}`,
    });
  const socket = (): FakeSocket => factory.latest(userId);

  async function connect(): Promise<void> {
    await plantStoredSession(testApp.sessionsDir, userId);
    factory.onCreate = (created) => setTimeout(() => created.open(), 20);
    await http()
      .get('/api/relance/qr')
      .set(auth)
      .expect(200, { status: 'connected' });
  }

  async function queue(text: string, extra: object = {}): Promise<string> {
    const response = await post({ to: '+33612345678', text, ...extra }).expect(
      202,
    );
    return (response.body as MessageBody).id;
  }

  it('sends while connected with the id chosen up front, then follows the receipts to read', async () => {
    await connect();
    const id = await queue('Bonjour, petite relance');
    await until(id, 'sent');
    const sent = await get(id);
    expect(socket().sent).toEqual([
      {
        to: '33612345678',
        text: 'Bonjour, petite relance',
        messageId: sent.whatsappMessageId,
      },
    ]);
    expect(sent.sentAt).not.toBeNull();
    socket().receipt(sent.whatsappMessageId, 'delivered');
    await until(id, 'delivered');
    socket().receipt(sent.whatsappMessageId, 'read');
    await until(id, 'read');
    // A late, folded server ack never moves it backwards.
    socket().receipt(sent.whatsappMessageId, 'server_ack');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const read = await get(id);
    expect(read).toMatchObject({ status: 'read', attempts: 1 });
    expect(read.deliveredAt).not.toBeNull();
    expect(read.readAt).not.toBeNull();
  });

  it('keeps messages queued while disconnected and delivers them in order, once each, after the reconnect', async () => {
    await connect();
    socket().close(428);
    await waitUntil(
      async () =>
        (
          (await http().get('/api/relance/status').set(auth)).body as {
            status: string;
          }
        ).status === 'connecting',
    );
    const ids = [await queue('one'), await queue('two'), await queue('three')];
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const id of ids) expect(await statusOf(id)).toBe('queued');
    await http().get('/api/relance/qr').set(auth).expect(200);
    for (const id of ids) await until(id, 'sent');
    expect(socket().sent.map((s) => s.text)).toEqual(['one', 'two', 'three']);
  });

  it('retries with the same WhatsApp id when no acknowledgement arrives', async () => {
    await connect();
    socket().sendBehaviour = 'silent';
    const id = await queue('are you there?');
    await waitUntil(() => socket().sent.length >= 2, {
      what: 'a second attempt',
    });
    socket().sendBehaviour = 'ack';
    await until(id, 'sent');
    const ids = new Set(socket().sent.map((s) => s.messageId));
    expect(ids).toEqual(new Set([(await get(id)).whatsappMessageId]));
    expect((await get(id)).attempts).toBeGreaterThanOrEqual(2);
  });

  it('fails every unsent message with session_reset at the threshold, and sends none after a new link', async () => {
    await connect();
    socket().close(428);
    const ids = [await queue('a'), await queue('b')];
    // Every new socket is refused with a counted code before it opens.
    factory.onCreate = (created) => setTimeout(() => created.close(401), 20);
    for (let failure = 0; failure < 3; failure += 1)
      await http().get('/api/relance/qr').set(auth).expect(202);
    for (const id of ids) await until(id, 'failed');
    expect((await get(ids[0])).error).toEqual({
      code: 'SESSION_RESET',
      reason: 'session_reset',
    });
    await connect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(factory.latest(userId).sent).toEqual([]);
  });

  it('after a reset whose failing of the queue never ran (a crash), the next link sends nothing accepted before it', async () => {
    const before = [await queue('for the old account'), await queue('me too')];
    // What a process killed between storing the reset and failing the queue
    // leaves behind: the reset time, and the messages still queued.
    const configs = testApp.app.get<Model<RelanceConfig>>(
      getModelToken(RelanceConfig.name),
    );
    await configs.updateOne(
      { userId },
      { $set: { sessionResetAt: new Date() } },
      { upsert: true },
    );
    const after = await queue('for the new account');

    await connect();
    for (const id of before) await until(id, 'failed');
    await until(after, 'sent');
    expect((await get(before[0])).error).toEqual({
      code: 'SESSION_RESET',
      reason: 'session_reset',
    });
    expect(socket().sent.map((sent) => sent.text)).toEqual([
      'for the new account',
    ]);
  });

  it('a force reset fails the queue too', async () => {
    const id = await queue('never');
    await http()
      .delete('/api/relance/disconnect')
      .set(auth)
      .send({ force: true })
      .expect(200);
    await until(id, 'failed');
  });

  it('answers a repeated idempotency key with the same message, and a different body with 409', async () => {
    const body = { to: '33612345678', text: 'hi', idempotencyKey: 'k-1' };
    const first = await post(body).expect(202);
    const again = await post(body).expect(200);
    expect((again.body as MessageBody).id).toBe((first.body as MessageBody).id);
    await post({ ...body, text: 'other' }).expect(409);
    const list = await http()
      .get('/api/relance/messages')
      .set(auth)
      .expect(200);
    expect((list.body as { items: unknown[] }).items).toHaveLength(1);
  });

  it('holds a scheduled message until its time, expires an old one, and cancels only before sending', async () => {
    await connect();
    const sendAt = new Date(Date.now() + 1500).toISOString();
    const scheduled = (
      await post({ to: '33612345678', text: 'later', sendAt }).expect(202)
    ).body as MessageBody;
    expect(scheduled.status).toBe('scheduled');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await statusOf(scheduled.id)).toBe('scheduled');
    await until(scheduled.id, 'sent');

    const expired = (
      await post({
        to: '33612345678',
        text: 'too late',
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      }).expect(202)
    ).body as MessageBody;
    expect(expired.status).toBe('expired');

    const later = (
      await post({
        to: '33612345678',
        text: 'cancel me',
        sendAt: new Date(Date.now() + 60_000).toISOString(),
      }).expect(202)
    ).body as MessageBody;
    await http()
      .delete(`/api/relance/messages/${later.id}`)
      .set(auth)
      .expect(200);
    expect(await statusOf(later.id)).toBe('cancelled');
    await http()
      .delete(`/api/relance/messages/${scheduled.id}`)
      .set(auth)
      .expect(409);
    expect(socket().sent.map((s) => s.text)).toEqual(['later']);
  });

  it('cancels a cancelOnReply follow-up when the contact writes first', async () => {
    await connect();
    const later = new Date(Date.now() + 60_000).toISOString();
    const flagged = (
      await post({
        to: '+33612345678',
        text: 'relance',
        sendAt: later,
        cancelOnReply: true,
      }).expect(202)
    ).body as MessageBody;
    const unflagged = (
      await post({ to: '33612345678', text: 'keep', sendAt: later }).expect(202)
    ).body as MessageBody;
    const other = (
      await post({
        to: '33699999999',
        text: 'other contact',
        sendAt: later,
        cancelOnReply: true,
      }).expect(202)
    ).body as MessageBody;
    socket().incoming('33612345678');
    await until(flagged.id, 'cancelled');
    expect((await get(flagged.id)).error?.reason).toBe('contact_replied');
    expect(await statusOf(unflagged.id)).toBe('scheduled');
    expect(await statusOf(other.id)).toBe('scheduled');
  });

  it('fails a message to a number without WhatsApp as not_on_whatsapp', async () => {
    await connect();
    socket().notOnWhatsApp.add('33600000000');
    const id = await queue('nobody', { to: '33600000000' });
    await until(id, 'failed');
    expect((await get(id)).error?.reason).toBe('not_on_whatsapp');
    expect(socket().sent).toEqual([]);
  });

  it('refuses more than MESSAGE_QUEUE_LIMIT unsent messages with 429', async () => {
    for (let i = 0; i < 5; i += 1) await queue(`m${i}`);
    const refused = await post({ to: '33612345678', text: 'one too many' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ statusCode: 429 });
  });

  it('keeps users apart on every route', async () => {
    const id = await queue('private');
    const other = bearer(await tokenFor('someone_else'));
    await http().get(`/api/relance/messages/${id}`).set(other).expect(404);
    await http().delete(`/api/relance/messages/${id}`).set(other).expect(404);
    const list = await http()
      .get('/api/relance/messages')
      .set(other)
      .expect(200);
    expect(list.body).toEqual({ items: [], nextCursor: null });
    await post(
      { to: '33612345678', text: 'x', idempotencyKey: 'shared' },
      other,
    ).expect(202);
    await post({
      to: '33612345678',
      text: 'y',
      idempotencyKey: 'shared',
    }).expect(202);
  });

  it('pages newest first with a cursor', async () => {
    const ids = [await queue('1'), await queue('2'), await queue('3')];
    const first = await http()
      .get('/api/relance/messages?limit=2')
      .set(auth)
      .expect(200);
    const page1 = first.body as { items: MessageBody[]; nextCursor: string };
    expect(page1.items.map((m) => m.id)).toEqual([ids[2], ids[1]]);
    const second = await http()
      .get(`/api/relance/messages?limit=2&cursor=${page1.nextCursor}`)
      .set(auth)
      .expect(200);
    expect(second.body).toMatchObject({
      items: [expect.objectContaining({ id: ids[0] }) as unknown],
      nextCursor: null,
    });
  });

  it.each([
    [{ to: '123', text: 'x' }, 'to'],
    [{ to: '+33 6 12', text: 'x' }, 'to'],
    [{ to: '33612345678', text: '' }, 'text'],
    [{ to: '33612345678', text: 'x'.repeat(4097) }, 'text'],
    [
      { to: '33612345678', text: 'x', idempotencyKey: 'bad key!' },
      'idempotencyKey',
    ],
    [{ to: '33612345678', text: 'x', sendAt: 'tomorrow' }, 'sendAt'],
    [{ to: '33612345678', text: 'x', cancelOnReply: 'yes' }, 'cancelOnReply'],
    [{ to: '33612345678', text: 'x', userId: 'someone_else' }, 'userId'],
  ])('rejects a bad body with a 400 naming %#: %s', async (body, field) => {
    const response = await post(body).expect(400);
    expect(JSON.stringify(response.body)).toContain(field);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    await http().get('/api/relance/messages/not-an-id').set(auth).expect(400);
    await http()
      .get(`/api/relance/messages/${'0'.repeat(32)}`)
      .set(auth)
      .expect(404);
  });
});
