import request from 'supertest';
import { RelanceMessageRepository } from '../src/messaging/relance-message.repository';
import {
  FakeSocketFactory,
  plantStoredSession,
} from './support/fake-socket-factory';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

/** Receipts reach the database only when the test lets them. */
class HeldReceiptsRepository extends RelanceMessageRepository {
  private gate?: { opened: Promise<void>; open: () => void };
  held = 0;

  hold(): void {
    let open = () => undefined as void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gate = { opened, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  override async applyReceipt(
    ...args: Parameters<RelanceMessageRepository['applyReceipt']>
  ) {
    if (this.gate) {
      this.held += 1;
      await this.gate.opened;
    }
    return super.applyReceipt(...args);
  }
}

/**
 * With no pause between sends (WHATSAPP_SEND_INTERVAL_MS=0), the worker must
 * not take WhatsApp's acknowledgement as the end of a message before it is
 * stored: the message is still `sending` until then, and `sending` is what a
 * crash leaves behind for a resend.
 */
describe('an acknowledgement is stored before the next send (e2e)', () => {
  let testApp: TestApp;
  const userId = 'msg_receipt_store_user';

  afterEach(async () => {
    await testApp?.close();
  });

  afterAll(async () => {
    await stopTestDatabase();
  });

  it('does not send a message again while its acknowledgement is being stored', async () => {
    const factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        WHATSAPP_QR_WAIT_MS: '2000',
        WHATSAPP_SEND_INTERVAL_MS: '0',
        MESSAGE_POLL_INTERVAL_MS: '50',
        MESSAGE_ACK_TIMEOUT_MS: '30000',
      },
      sockets: factory,
      override: (builder) =>
        builder
          .overrideProvider(RelanceMessageRepository)
          .useClass(HeldReceiptsRepository),
    });
    const repository = testApp.app.get(RelanceMessageRepository);
    if (!(repository instanceof HeldReceiptsRepository))
      throw new Error('the repository override did not apply');
    const auth = bearer(await tokenFor(userId));
    const http = () => request(testApp.app.getHttpServer());
    await plantStoredSession(testApp.sessionsDir, userId);
    factory.onCreate = (created) => setTimeout(() => created.open(), 20);
    await http()
      .get('/api/relance/qr')
      .set(auth)
      .expect(200, { status: 'connected' });
    const sent = () => factory.latest(userId).sent.map((s) => s.text);

    repository.hold();
    for (const text of ['one', 'two'])
      await http()
        .post('/api/relance/messages')
        .set(auth)
        .send({ to: '+33612345678', text })
        .expect(202);
    await waitUntil(() => repository.held > 0, {
      what: "the first message's acknowledgement to reach the store",
    });
    // Room for a resend, had the worker moved on before the store.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent()).toEqual(['one']);

    repository.release();
    await waitUntil(() => sent().length === 2, { what: 'the second send' });
    expect(sent()).toEqual(['one', 'two']);
  });
});
