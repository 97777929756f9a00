/**
 * Drives a raw, unmodified Baileys socket against the local WhatsApp-edge simulator through every lifecycle
 * story the sessions service has to survive, then through 1:1 messaging. Each story asserts both sides:
 * what Baileys reported (connection.update / creds.update / messages.*) and what the simulated server
 * recorded or a simulated contact decrypted.
 */
import {
  connect,
  endAllSockets,
  MessageStatus,
  newAuthDir,
  removeAuthDirs,
  statusCodeOf,
  textOf,
  type TestClient as Client,
} from './support/baileys-test-client';
import {
  WaSimulator,
  type LinkedDevice,
  type SimEvent,
  type SimEventOf,
  type SimEventType,
} from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const STORY_TIMEOUT_MS = 15_000;

const nextQr = async (client: Client): Promise<string> => {
  const { qr } = await client.update((u) => typeof u.qr === 'string');
  return qr ?? '';
};

/**
 * Waits for 'open', then for the simulator to go quiet: Baileys' post-open queries must be answered before
 * the connection ends, or their 60 s timers outlive the test (see WaSimulator.waitForQuiet).
 */
const opened = async (sim: WaSimulator, client: Client): Promise<void> => {
  await client.update((u) => u.connection === 'open');
  await sim.waitForQuiet();
};

interface CloseReason {
  readonly code: number | undefined;
  /** Baileys' Boom message, e.g. "Stream Errored (conflict)": tells which stanza caused the close. */
  readonly message: string | undefined;
}

const closeReason = async (client: Client): Promise<CloseReason> => {
  const update = await client.update((u) => u.connection === 'close');
  return {
    code: statusCodeOf(update),
    message: update.lastDisconnect?.error?.message,
  };
};

const isEvent =
  <T extends SimEventType>(type: T) =>
  (event: SimEvent): event is SimEventOf<T> =>
    event.type === type;

/** The lifecycle of one connection as the server saw it, without the iq chatter. */
const lifecycleOf = (sim: WaSimulator, conn: number): SimEventType[] =>
  sim
    .events()
    .filter(
      (e) => e.conn === conn && e.type !== 'iq' && e.type !== 'unknown-iq',
    )
    .map((e) => e.type);

// -----------------------------------------------------------------------------
// Story building blocks
// -----------------------------------------------------------------------------

/** New device -> QR -> the phone scans -> 515: returns the auth dir holding the linked creds. */
const linkNewDevice = async (
  sim: WaSimulator,
  phone: string,
): Promise<{ authDir: string; device: LinkedDevice }> => {
  const authDir = await newAuthDir();
  const client = await connect(sim, authDir);
  const device = await sim.scan(await nextQr(client), { phone });
  expect(await closeReason(client)).toEqual({
    code: 515,
    message: 'Stream Errored (restart required)',
  });
  await client.credsSaved();
  return { authDir, device };
};

/** Links a device then logs it in: the state every server-side story starts from. */
const loggedInClient = async (
  sim: WaSimulator,
  phone: string,
): Promise<{ client: Client; authDir: string; device: LinkedDevice }> => {
  const { authDir, device } = await linkNewDevice(sim, phone);
  const client = await connect(sim, authDir);
  await opened(sim, client);
  return { client, authDir, device };
};

// -----------------------------------------------------------------------------
// Stories
// -----------------------------------------------------------------------------

describe('WaSimulator driving an unmodified Baileys socket', () => {
  let sim: WaSimulator;
  let distrust: () => void;

  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(async () => {
    distrust();
    await removeAuthDirs();
  });

  beforeEach(async () => {
    sim = await WaSimulator.start();
  });

  afterEach(async () => {
    await sim.waitForQuiet();
    await endAllSockets();
    await sim.close();
  });

  it(
    'registers a new device: QR, scan, creds + isNewLogin, 515, then opens with the saved creds',
    async () => {
      const authDir = await newAuthDir();
      const registering = await connect(sim, authDir);

      const qr = await nextQr(registering);
      expect(qr).toMatch(
        /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+(,[^,]+){4}$/,
      );
      const refsSent = await sim.waitFor(isEvent('qr-refs-sent'));
      expect(refsSent.refs).toContain(qr.split('#')[1].split(',')[0]);

      const device = await sim.scan(qr, { phone: '33600000001' });
      expect(device).toMatchObject({
        user: '33600000001',
        deviceId: 1,
        jid: '33600000001:1@s.whatsapp.net',
      });
      expect(await closeReason(registering)).toEqual({
        code: 515,
        message: 'Stream Errored (restart required)',
      });
      expect(registering.updates).toContainEqual(
        expect.objectContaining({ isNewLogin: true }),
      );
      expect(registering.credsUpdates.map((u) => u.me)).toContainEqual(
        expect.objectContaining({ id: device.jid, lid: device.lid }),
      );
      await sim.waitFor((e) => e.type === 'closed' && e.conn === refsSent.conn);
      expect(lifecycleOf(sim, refsSent.conn)).toEqual([
        'connected',
        'registration',
        'qr-refs-sent',
        'pair-success',
        'paired',
        'restart-requested',
        'closed',
      ]);

      await registering.credsSaved();
      const loggingIn = await connect(sim, authDir); // fresh auth state, read back from disk
      await opened(sim, loggingIn);
      expect(loggingIn.sock.user?.id).toBe(device.jid);
      expect(WaSimulator.userOf(loggingIn.sock.user?.id ?? '')).toBe(
        device.user,
      );
      const accepted = await sim.waitFor(isEvent('login-accepted'));
      expect(accepted).toMatchObject({ user: device.user, jid: device.jid });
      expect(sim.online()).toEqual([device.user]);
      // Baileys waits for these answers before emitting 'open'.
      const answered = sim
        .events()
        .filter(
          (e): e is SimEventOf<'iq'> =>
            e.type === 'iq' && e.conn === accepted.conn,
        )
        .map((e) => `${e.xmlns}/${e.child ?? ''}`);
      expect(answered).toEqual(
        expect.arrayContaining([
          'encrypt/count',
          'passive/active',
          'encrypt/digest',
        ]),
      );
      // The server reported enough pre-keys, so Baileys had nothing to upload.
      expect(sim.linkedDevices(device.user)).toEqual([
        expect.objectContaining({ jid: device.jid, preKeysOnServer: 812 }),
      ]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'kick 401 (device removed) closes the client with 401 and refuses its later logins',
    async () => {
      const { client, authDir, device } = await loggedInClient(
        sim,
        '33600000002',
      );

      expect(await sim.kick(device.user, 401)).toBe(1);
      expect(await closeReason(client)).toEqual({
        code: 401,
        message: 'Stream Errored (conflict)',
      });
      await sim.waitFor((e) => e.type === 'closed' && e.user === device.user);
      expect(sim.online()).toEqual([]);

      const again = await connect(sim, authDir);
      expect(await closeReason(again)).toEqual({
        code: 401,
        message: 'Connection Failure',
      });
      expect(await sim.waitFor(isEvent('login-refused'))).toMatchObject({
        jid: device.jid,
        code: 401,
        reason: 'device-removed',
      });
    },
    STORY_TIMEOUT_MS,
  );

  it.each([
    [440, 'Stream Errored (conflict)'],
    [503, 'Stream Errored (unknown)'],
    [515, 'Stream Errored (restart required)'],
  ])(
    'kick %i closes the client with that code ("%s") and the device can log in again',
    async (code, message) => {
      const { client, authDir, device } = await loggedInClient(
        sim,
        `3360000${code}`,
      );

      expect(await sim.kick(device.user, code)).toBe(1);
      expect(await closeReason(client)).toEqual({ code, message });
      expect(await sim.waitFor(isEvent('kick'))).toMatchObject({
        user: device.user,
        code,
      });

      const again = await connect(sim, authDir);
      await opened(sim, again);
      expect(sim.online()).toEqual([device.user]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'rejectLogins(401) answers the next login with <failure reason=401>; acceptLogins lets it back in',
    async () => {
      const { authDir, device } = await linkNewDevice(sim, '33600000003');

      sim.rejectLogins(device.user, 401);
      const refused = await connect(sim, authDir);
      expect(await closeReason(refused)).toEqual({
        code: 401,
        message: 'Connection Failure',
      });
      expect(await sim.waitFor(isEvent('login-refused'))).toMatchObject({
        user: device.user,
        code: 401,
        reason: 'rejected-on-demand',
      });
      expect(refused.updates.some((u) => u.connection === 'open')).toBe(false);

      sim.acceptLogins(device.user);
      const accepted = await connect(sim, authDir);
      await opened(sim, accepted);
      expect(sim.online()).toEqual([device.user]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'sock.logout() is recorded as a logout of that device and later logins are refused with 401',
    async () => {
      const { client, authDir, device } = await loggedInClient(
        sim,
        '33600000004',
      );

      await client.sock.logout();
      expect(await closeReason(client)).toEqual({
        code: 401,
        message: 'Intentional Logout',
      });
      expect(await sim.waitFor(isEvent('logout'))).toMatchObject({
        user: device.user,
        jid: device.jid,
        reason: 'user_initiated',
      });
      expect(sim.linkedDevices(device.user)).toEqual([]);

      const again = await connect(sim, authDir);
      expect(await closeReason(again)).toEqual({
        code: 401,
        message: 'Connection Failure',
      });
      expect(await sim.waitFor(isEvent('login-refused'))).toMatchObject({
        jid: device.jid,
        reason: 'device-removed',
      });
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'closes with 408 once every QR ref has expired and nobody scanned',
    async () => {
      const client = await connect(sim, await newAuthDir(), {
        qrTimeout: 100,
      });

      expect(await closeReason(client)).toEqual({
        code: 408,
        message: 'QR refs attempts ended',
      });
      const { refs } = await sim.waitFor(isEvent('qr-refs-sent'));
      const qrs = client.updates.flatMap((u) => (u.qr ? [u.qr] : []));
      expect(qrs).toHaveLength(refs.length);
      expect(qrs.map((qr) => qr.split('#')[1].split(',')[0])).toEqual(refs);
      expect(sim.events().some((e) => e.type === 'pair-success')).toBe(false);
    },
    STORY_TIMEOUT_MS,
  );
  // ---------------------------------------------------------------------------
  // Linking by code ("Link with phone number instead")
  // ---------------------------------------------------------------------------

  describe('linking by code', () => {
    /** Baileys' alphabet for link codes: Crockford base 32 without 0 (CROCKFORD_CHARACTERS). */
    const LINK_CODE = /^[1-9A-HJ-NP-TV-Z]{8}$/;

    /** As BAILEYS.md says: ask for the code on the first QR, while the creds are not registered. */
    const requestCode = async (client: Client, phone: string) => {
      await nextQr(client);
      expect(client.sock.authState.creds.registered).toBe(false);
      return client.sock.requestPairingCode(phone);
    };

    /** Another character of the same alphabet at `index`: a code the user mistyped. */
    const mistyped = (code: string, index = 3): string =>
      `${code.slice(0, index)}${code[index] === 'A' ? 'B' : 'A'}${code.slice(index + 1)}`;

    it(
      'links a new device by code: hello, the phone types the code, key exchange, pair-success, 515, then logs in',
      async () => {
        const phone = '33600000020';
        const authDir = await newAuthDir();
        const registering = await connect(sim, authDir);

        const code = await requestCode(registering, phone);
        expect(code).toMatch(LINK_CODE);
        const requested = await sim.waitFor(isEvent('link-code-requested'));
        expect(requested.user).toBe(phone);

        // Typed as WhatsApp shows it, with the dash.
        const device = await sim.enterCode(
          phone,
          `${code.slice(0, 4)}-${code.slice(4)}`,
        );
        expect(device).toMatchObject({
          user: phone,
          jid: `${phone}:1@s.whatsapp.net`,
        });
        expect(await closeReason(registering)).toEqual({
          code: 515,
          message: 'Stream Errored (restart required)',
        });
        expect(registering.updates).toContainEqual(
          expect.objectContaining({ isNewLogin: true }),
        );
        const { creds } = registering.sock.authState;
        expect(creds.registered).toBe(true);
        expect(creds.me).toMatchObject({ id: device.jid, lid: device.lid });
        await sim.waitFor(
          (e) => e.type === 'closed' && e.conn === requested.conn,
        );
        expect(lifecycleOf(sim, requested.conn)).toEqual([
          'connected',
          'registration',
          'qr-refs-sent',
          'link-code-requested',
          'link-code-entered',
          'pair-success',
          'paired',
          'restart-requested',
          'closed',
        ]);

        await registering.credsSaved();
        const loggingIn = await connect(sim, authDir);
        await opened(sim, loggingIn);
        expect(loggingIn.sock.user?.id).toBe(device.jid);
        expect(sim.online()).toEqual([phone]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'a wrong code does not link: the phone refuses, the companion hears nothing and its refs run out (408)',
      async () => {
        const phone = '33600000021';
        const registering = await connect(sim, await newAuthDir(), {
          qrTimeout: 1_000,
        });
        const code = await requestCode(registering, phone);

        await expect(sim.enterCode(phone, mistyped(code))).rejects.toThrow(
          /could not link the device/,
        );

        const refused = await sim.waitFor(isEvent('link-code-refused'));
        expect(refused).toMatchObject({ user: phone, reason: 'wrong-code' });
        // Six refs of 1 s each: longer than closeReason's own wait.
        await sim.waitFor(
          (e) => e.type === 'closed' && e.conn === refused.conn,
          STORY_TIMEOUT_MS,
        );
        expect(await closeReason(registering)).toEqual({
          code: 408,
          message: 'QR refs attempts ended',
        });
        expect(registering.updates.some((u) => u.isNewLogin)).toBe(false);
        expect(sim.events().filter(isEvent('pair-success'))).toEqual([]);
        expect(sim.linkedDevices(phone)).toEqual([]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'the right code after a wrong one still links the same companion',
      async () => {
        const phone = '33600000022';
        const registering = await connect(sim, await newAuthDir());
        const code = await requestCode(registering, phone);

        await expect(sim.enterCode(phone, mistyped(code, 0))).rejects.toThrow(
          /could not link the device/,
        );
        const device = await sim.enterCode(phone, code.toLowerCase());

        expect(await closeReason(registering)).toEqual({
          code: 515,
          message: 'Stream Errored (restart required)',
        });
        expect(sim.linkedDevices(phone)).toEqual([
          expect.objectContaining({ jid: device.jid }),
        ]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'enterCode rejects when no companion asked for a code for that number',
      async () => {
        const registering = await connect(sim, await newAuthDir());
        await requestCode(registering, '33600000023');

        await expect(sim.enterCode('33600000024', 'ABCDEFGH')).rejects.toThrow(
          /no live companion asked for a link code for 33600000024/,
        );
      },
      STORY_TIMEOUT_MS,
    );
  });

  // ---------------------------------------------------------------------------
  // Messaging
  // ---------------------------------------------------------------------------

  describe('messaging', () => {
    const sentId = (message: { key: { id?: string | null } } | undefined) =>
      message?.key.id ?? '';

    /** The acks and receipts the edge sent for one message id, in order. */
    const acksFor = (id: string): string[] =>
      sim
        .events()
        .filter(
          (e): e is SimEventOf<'ack'> => e.type === 'ack' && e.ids.includes(id),
        )
        .map((e) => e.kind);

    it(
      'a text reaches the contact decrypted; SERVER_ACK comes before DELIVERY_ACK, and markRead gives READ',
      async () => {
        const alice = sim.addContact('33611111111');
        const { client, device } = await loggedInClient(sim, '33600000010');
        sim.withholdAcks(device.user, ['delivery-receipt']);

        const id = sentId(
          await client.sock.sendMessage(alice.jid, { text: 'Bonjour Alice' }),
        );
        await client.reachedStatus(id, MessageStatus.SERVER_ACK);
        await sim.waitFor(
          (e) => e.type === 'ack-withheld' && e.kind === 'delivery-receipt',
        );
        expect(client.statusOf(id)).toBe(MessageStatus.SERVER_ACK);
        expect(sim.received(alice.phone)).toEqual([
          expect.objectContaining({
            id,
            text: 'Bonjour Alice',
            from: device.user,
            fromDevice: device.jid,
            encryption: 'pkmsg',
            duplicate: false,
          }),
        ]);

        await sim.releaseAcks(device.user);
        await client.reachedStatus(id, MessageStatus.DELIVERY_ACK);
        await sim.markRead(alice.phone, [id]);
        await client.reachedStatus(id, MessageStatus.READ);
        expect(acksFor(id)).toEqual([
          'server-ack',
          'sender-receipt',
          'delivery-receipt',
          'read-receipt',
        ]);
        expect(sim.events()).toContainEqual(
          expect.objectContaining({
            type: 'message-sent',
            user: device.user,
            to: alice.phone,
            id,
            devices: 2, // the contact's phone and the sender's own phone
            onWhatsApp: true,
          }),
        );
        // What could be logged never carries the text.
        expect(JSON.stringify(sim.events())).not.toContain('Bonjour');
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'later messages decrypt too: pkmsg until the contact answers, msg after',
      async () => {
        const bob = sim.addContact('33622222222');
        const { client, device } = await loggedInClient(sim, '33600000011');

        const first = sentId(
          await client.sock.sendMessage(bob.jid, { text: 'one' }),
        );
        const second = sentId(
          await client.sock.sendMessage(bob.jid, { text: 'two' }),
        );
        await client.reachedStatus(second, MessageStatus.DELIVERY_ACK);
        await sim.sendFromContact(bob.phone, device.user, 'got them');
        await client.incomingMessage(
          ({ message }) => textOf(message) === 'got them',
        );
        const third = sentId(
          await client.sock.sendMessage(bob.jid, { text: 'three' }),
        );
        await client.reachedStatus(third, MessageStatus.DELIVERY_ACK);

        expect(
          sim.received(bob.phone).map(({ id, text, encryption }) => ({
            id,
            text,
            encryption,
          })),
        ).toEqual([
          { id: first, text: 'one', encryption: 'pkmsg' },
          { id: second, text: 'two', encryption: 'pkmsg' },
          { id: third, text: 'three', encryption: 'msg' },
        ]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'a re-send with the same messageId reaches the contact again, as a duplicate with that id',
      async () => {
        const carol = sim.addContact('33633333333');
        const { client } = await loggedInClient(sim, '33600000012');

        const id = sentId(
          await client.sock.sendMessage(carol.jid, { text: 'relance' }),
        );
        await client.reachedStatus(id, MessageStatus.DELIVERY_ACK);
        await client.sock.sendMessage(
          carol.jid,
          { text: 'relance' },
          { messageId: id },
        );
        await sim.waitFor(
          (e) => e.type === 'message-decrypted' && e.id === id && e.duplicate,
        );

        expect(
          sim
            .received(carol.phone)
            .map(({ id: receivedId, text, duplicate }) => ({
              receivedId,
              text,
              duplicate,
            })),
        ).toEqual([
          { receivedId: id, text: 'relance', duplicate: false },
          { receivedId: id, text: 'relance', duplicate: true },
        ]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      "a contact's message arrives as messages.upsert notify with its text and phone-number jid",
      async () => {
        const dave = sim.addContact('33644444444', { pushName: 'Dave' });
        const { client, device } = await loggedInClient(sim, '33600000013');

        const id = await sim.sendFromContact(
          dave.phone,
          device.user,
          'Oui, ça marche',
        );
        const { message } = await client.incomingMessage(
          ({ type, message: m }) => type === 'notify' && m.key.id === id,
        );
        expect(textOf(message)).toBe('Oui, ça marche');
        expect(message.key).toMatchObject({
          remoteJid: dave.jid,
          remoteJidAlt: dave.lid,
          fromMe: false,
        });
        expect(message.pushName).toBe('Dave');
        const delivered = await sim.waitFor(
          (e): e is SimEventOf<'client-receipt'> =>
            e.type === 'client-receipt' && e.ids.includes(id),
        );
        expect(delivered.user).toBe(device.user);
        // 'inactive' is Baileys' delivery receipt while it has not announced itself online.
        expect(['delivery', 'inactive']).toContain(delivered.receiptType);
        await client.sock.readMessages([message.key]);
        expect(
          await sim.waitFor(
            (e) =>
              e.type === 'client-receipt' &&
              e.ids.includes(id) &&
              e.receiptType === 'read',
          ),
        ).toMatchObject({ to: dave.jid });

        // Baileys' first send to a contact fetches its devices and, with them, a fresh pre-key bundle, so
        // the answer starts a new session (pkmsg) even though the contact opened one: it still decrypts.
        const reply = sentId(
          await client.sock.sendMessage(dave.jid, { text: 'Parfait' }),
        );
        await client.reachedStatus(reply, MessageStatus.DELIVERY_ACK);
        expect(sim.received(dave.phone)).toEqual([
          expect.objectContaining({ id: reply, text: 'Parfait' }),
        ]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'a contact with LID addressing writes from its LID, with its phone-number jid alongside',
      async () => {
        const erin = sim.addContact('33655555555', { addressing: 'lid' });
        const { client, device } = await loggedInClient(sim, '33600000014');

        const id = await sim.sendFromContact(
          erin.phone,
          device.user,
          'via lid',
        );
        const { message } = await client.incomingMessage(
          ({ message: m }) => m.key.id === id,
        );
        expect(message.key).toMatchObject({
          remoteJid: erin.lid,
          remoteJidAlt: erin.jid,
        });
        expect(textOf(message)).toBe('via lid');
      },
      STORY_TIMEOUT_MS,
    );

    it(
      "a linked user writes to another: the recipient's linked device and its phone each decrypt their own copy",
      async () => {
        const anna = await loggedInClient(sim, '33600000018');
        const ben = await loggedInClient(sim, '33600000019');
        const benJid = `${ben.device.user}@s.whatsapp.net`;

        const id = sentId(
          await anna.client.sock.sendMessage(benJid, { text: 'salut Ben' }),
        );
        const { message } = await ben.client.incomingMessage(
          ({ message: m }) => m.key.id === id,
        );
        expect(textOf(message)).toBe('salut Ben');
        expect(message.key.remoteJid).toBe(
          `${anna.device.user}@s.whatsapp.net`,
        );
        expect(sim.received(ben.device.user)).toEqual([
          expect.objectContaining({
            id,
            text: 'salut Ben',
            from: anna.device.user,
          }),
        ]);
        await anna.client.reachedStatus(id, MessageStatus.DELIVERY_ACK);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'onWhatsApp reports added contacts and leaves other numbers out; a message to such a number gets no delivery',
      async () => {
        const frank = sim.addContact('33666666666');
        const { client, device } = await loggedInClient(sim, '33600000015');

        expect(await client.sock.onWhatsApp(frank.jid)).toEqual([
          { jid: frank.jid, exists: true },
        ]);
        expect(
          await client.sock.onWhatsApp('33699999999@s.whatsapp.net'),
        ).toEqual([]);

        const id = sentId(
          await client.sock.sendMessage('33699999999@s.whatsapp.net', {
            text: 'anyone?',
          }),
        );
        await client.reachedStatus(id, MessageStatus.SERVER_ACK);
        expect(
          await sim.waitFor((e) => e.type === 'message-sent' && e.id === id),
        ).toMatchObject({
          user: device.user,
          to: '33699999999',
          onWhatsApp: false,
        });
        await sim.waitForQuiet();
        expect(acksFor(id)).toEqual(['server-ack', 'sender-receipt']);
        expect(sim.received('33699999999')).toEqual([]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'withheld acks leave the message PENDING until they are released',
      async () => {
        const gina = sim.addContact('33677777777');
        const { client, device } = await loggedInClient(sim, '33600000016');
        sim.withholdAcks(device.user);

        const id = sentId(
          await client.sock.sendMessage(gina.jid, { text: 'waiting' }),
        );
        await sim.waitFor(
          (e) => e.type === 'ack-withheld' && e.kind === 'delivery-receipt',
        );
        await sim.waitForQuiet();
        expect(client.statusOf(id) ?? MessageStatus.PENDING).toBe(
          MessageStatus.PENDING,
        );
        expect(acksFor(id)).toEqual([]);

        await sim.releaseAcks(device.user);
        await client.reachedStatus(id, MessageStatus.DELIVERY_ACK);
        expect(acksFor(id)).toEqual([
          'server-ack',
          'sender-receipt',
          'delivery-receipt',
        ]);
      },
      STORY_TIMEOUT_MS,
    );

    it(
      'a message for an offline device waits on the server and arrives at its next login, marked offline',
      async () => {
        const hugo = sim.addContact('33688888888');
        const { client, authDir, device } = await loggedInClient(
          sim,
          '33600000017',
        );
        await client.sock.end(undefined);
        await sim.waitFor((e) => e.type === 'closed' && e.user === device.user);

        const id = await sim.sendFromContact(hugo.phone, device.user, 'later');
        expect(
          await sim.waitFor((e) => e.type === 'contact-message' && e.id === id),
        ).toMatchObject({ queued: true, conn: 0 });

        // Without history sync, Baileys does not hold the offline batch back for its 20 s history wait.
        const again = await connect(sim, authDir, { historySync: false });
        const { type, message } = await again.incomingMessage(
          ({ message: m }) => m.key.id === id,
        );
        expect({ type, text: textOf(message) }).toEqual({
          type: 'append',
          text: 'later',
        });
        await opened(sim, again);
      },
      STORY_TIMEOUT_MS,
    );
  });
});
