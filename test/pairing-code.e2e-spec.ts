/**
 * Linking by pairing code ("Link with phone number instead") through the whole app: AppModule with the
 * production BaileysSocketFactory against the WhatsApp-edge simulator, a real database, real HTTP. The
 * simulated phone types the code the API handed out (sim.enterCode), so every story runs the real
 * link-code key exchange of Baileys rc14.
 *
 * As in lifecycle-simulator.e2e-spec.ts, every story waits for the simulator to go quiet after a
 * connection opens and before it kicks, disconnects or closes the app (Baileys' 60 s query timers).
 */
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { StatusBody } from './support/response-bodies';
import { openEventStream, SseClient } from './support/sse-client';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import {
  isEvent,
  lifecycleLogs,
  simEventLog,
  statusWhen as statusWhenShared,
} from './support/lifecycle-observers';
import { WaSimulator, type LinkedDevice } from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const ROUTE = '/api/relance/pairing-code';
const MAX_FAILURES = 3;
const RECONNECT_MAX_MS = 400;
/** Well past the longest reconnect delay: a reconnect that has not started by then is not coming. */
const NO_RECONNECT_WINDOW_MS = 3 * RECONNECT_MAX_MS;
const STORY_TIMEOUT_MS = 30_000;
/** Baileys' link-code alphabet (Crockford base 32 without 0), shown as two groups of four. */
const PAIRING_CODE = /^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$/;

const APP_ENV = {
  WHATSAPP_MAX_CONNECTION_FAILURES: String(MAX_FAILURES),
  WHATSAPP_RECONNECT_BASE_MS: '100',
  WHATSAPP_RECONNECT_MAX_MS: String(RECONNECT_MAX_MS),
  WHATSAPP_QR_WAIT_MS: '10000',
  WHATSAPP_LOGOUT_TIMEOUT_MS: '2000',
  WHATSAPP_RESTORE_JITTER_MS: '0',
  RATE_LIMIT_QR_PER_MINUTE: '1000',
  RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
};

// -----------------------------------------------------------------------------
// Harness
// -----------------------------------------------------------------------------

let sim: WaSimulator;
let distrust: () => void;
const liveApps = new Set<TestApp>();
const streams: SseClient[] = [];
let warnSpy: jest.SpyInstance;
let logSpy: jest.SpyInstance;
let otherLogSpies: jest.SpyInstance[];

const startApp = async (env: Record<string, string> = {}): Promise<TestApp> => {
  const testApp = await createTestApp({
    env: { ...APP_ENV, ...env, WHATSAPP_WS_URL: sim.url },
  });
  liveApps.add(testApp);
  return testApp;
};

interface PairingBody {
  status: 'awaiting_pairing';
  pairingCode: string;
  expiresAt: string;
}

interface Caller {
  readonly userId: string;
  readonly credsFile: string;
  readonly auth: Record<string, string>;
  pairingCode(body: unknown): request.Test;
  status(): Promise<StatusBody>;
}

const callerFor = async (testApp: TestApp, userId: string): Promise<Caller> => {
  const auth = bearer(await tokenFor(userId));
  const http = () => request(testApp.app.getHttpServer());
  return {
    userId,
    auth,
    credsFile: join(testApp.sessionsDir, userId, 'creds.json'),
    pairingCode: (body) =>
      http()
        .post(ROUTE)
        .set(auth)
        .send(body as object),
    status: async () =>
      (await http().get('/api/relance/status').set(auth).expect(200))
        .body as StatusBody,
  };
};

const { failureLogs, decisions, deletionLogs } = lifecycleLogs({
  warn: () => warnSpy,
  log: () => logSpy,
  maxFailures: MAX_FAILURES,
});
const { lastSeq, typesAfter } = simEventLog(() => sim);

const statusWhen = (
  caller: Caller,
  predicate: (status: StatusBody) => boolean,
  what: string,
): Promise<StatusBody> =>
  statusWhenShared(caller.status, predicate, what, 15_000);

/** POST /pairing-code for `phone`, expecting a fresh code. */
const askForCode = async (
  caller: Caller,
  phone: string,
): Promise<PairingBody> => {
  const answer = await caller.pairingCode({ phoneNumber: `+${phone}` });
  expect(answer.status).toBe(200);
  const body = answer.body as PairingBody;
  expect(body).toEqual({
    status: 'awaiting_pairing',
    pairingCode: expect.stringMatching(PAIRING_CODE) as unknown,
    expiresAt: expect.any(String) as unknown,
  });
  expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  return body;
};

/** Asks for a code, the phone types it, and the app ends connected (post-open queries answered). */
const linkByCode = async (
  caller: Caller,
  phone: string,
): Promise<{ device: LinkedDevice; code: string }> => {
  const { pairingCode } = await askForCode(caller, phone);
  const device = await sim.enterCode(phone, pairingCode);
  await statusWhen(caller, (s) => s.status === 'connected', 'connected');
  await sim.waitForQuiet();
  return { device, code: pairingCode };
};

/** Everything the app logged, every level, as text. */
const everyLogLine = (): string =>
  [warnSpy, logSpy, ...otherLogSpies]
    .flatMap((spy) => spy.mock.calls.map((args) => JSON.stringify(args)))
    .join('\n');

const readCreds = async (caller: Caller): Promise<{ me?: { id?: string } }> =>
  JSON.parse(await readFile(caller.credsFile, 'utf8')) as {
    me?: { id?: string };
  };

/** Another character of the code's alphabet at `index`: the code mistyped on the phone. */
const mistyped = (code: string, index = 2): string =>
  `${code.slice(0, index)}${code[index] === 'A' ? 'B' : 'A'}${code.slice(index + 1)}`;

// -----------------------------------------------------------------------------
// Stories
// -----------------------------------------------------------------------------

afterAll(async () => {
  await stopTestDatabase();
});

describe('POST /api/relance/pairing-code: linking by code against the WhatsApp-edge simulator (e2e)', () => {
  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(() => {
    distrust();
  });

  beforeEach(async () => {
    sim = await WaSimulator.start();
    warnSpy = jest.spyOn(Logger.prototype, 'warn');
    logSpy = jest.spyOn(Logger.prototype, 'log');
    otherLogSpies = (['error', 'debug', 'verbose', 'fatal'] as const).map(
      (level) => jest.spyOn(Logger.prototype, level),
    );
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await sim.waitForQuiet().catch(() => undefined);
    for (const testApp of [...liveApps]) {
      liveApps.delete(testApp);
      await testApp.close();
    }
    await sim.close();
    jest.restoreAllMocks();
  });

  it(
    '1. the phone types the code: connected, credentials stored, linkMethod code, count 0, and the code is never logged',
    async () => {
      const testApp = await startApp();
      await testApp.app.listen(0, '127.0.0.1');
      const alice = await callerFor(testApp, 'code_link');
      const phone = '33622000001';
      const stream = await openEventStream(
        await testApp.app.getUrl(),
        '/api/relance/events',
        alice.auth,
      );
      streams.push(stream);
      const mark = lastSeq();

      const { pairingCode, expiresAt } = await askForCode(alice, phone);
      expect(await alice.status()).toMatchObject({
        status: 'awaiting_pairing',
        sessionStored: false,
      });
      // Asking again for the same number while the code lives answers the same code.
      expect((await alice.pairingCode({ phoneNumber: phone })).body).toEqual({
        status: 'awaiting_pairing',
        pairingCode,
        expiresAt,
      });
      const device = await sim.enterCode(phone, pairingCode);
      const status = await statusWhen(
        alice,
        (s) => s.status === 'connected',
        'connected',
      );
      await sim.waitForQuiet();

      expect(device.user).toBe(phone);
      expect(status).toMatchObject({
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 515, name: 'restartRequired' },
        linkMethod: 'code',
        lastQrScanDate: null,
        sessionStored: true,
      });
      expect(Date.parse(status.lastLinkedAt ?? '')).toBeGreaterThan(
        Date.now() - 60_000,
      );
      expect((await readCreds(alice)).me?.id).toBe(device.jid);
      expect(decisions(alice.userId)).toEqual(['515 restart_required']);
      expect(failureLogs(alice.userId)).toEqual([]);
      expect(
        typesAfter(mark, [
          'registration',
          'link-code-requested',
          'link-code-entered',
          'pair-success',
          'restart-requested',
          'login-accepted',
        ]),
      ).toEqual([
        'registration',
        'link-code-requested',
        'link-code-entered',
        'pair-success',
        'restart-requested',
        'login-accepted',
      ]);
      expect(sim.online()).toEqual([phone]);
      await waitUntil(
        () =>
          stream.events.some(
            (e) =>
              e.type === 'status' &&
              (e.data as { status?: string }).status === 'connected',
          ),
        { what: 'the connected status on the live stream' },
      );
      const relayed = stream.events
        .filter((e) => e.type === 'pairing' || e.type === 'status')
        .map((e) => e.data);
      expect(relayed).toEqual([
        { status: 'connecting' },
        { status: 'awaiting_pairing' },
        { pairingCode, expiresAt },
        { status: 'connecting' },
        { status: 'connected', connectionFailureCount: 0 },
      ]);
      expect(stream.events.filter((e) => e.type === 'qr')).toEqual([]);
      const logged = everyLogLine();
      expect(logged).not.toContain(pairingCode);
      expect(logged).not.toContain(pairingCode.replace('-', ''));
      expect(logged).not.toContain(phone);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    '2. a wrong code does not link the device, and the status says so',
    async () => {
      const testApp = await startApp();
      const bob = await callerFor(testApp, 'code_wrong');
      const phone = '33622000002';
      const { pairingCode } = await askForCode(bob, phone);

      await expect(sim.enterCode(phone, mistyped(pairingCode))).rejects.toThrow(
        /could not link the device/,
      );
      await sim.waitFor(isEvent('link-code-refused'));
      await sim.waitForQuiet();

      expect(await bob.status()).toMatchObject({
        status: 'awaiting_pairing',
        connectionFailureCount: 0,
        linkMethod: null,
        lastLinkedAt: null,
        sessionStored: false,
      });
      // Baileys marked its creds registered after the exchange; none of it reached the store.
      expect(existsSync(bob.credsFile)).toBe(false);
      expect(sim.linkedDevices(phone)).toEqual([]);
      expect(sim.events().filter(isEvent('pair-success'))).toEqual([]);
      expect(decisions(bob.userId)).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    '3. an expired code gives disconnected, with no count and no reconnect; asking again gives a new code',
    async () => {
      // Six QR refs of 300 ms: the code's window closes after about 1.8 s.
      const testApp = await startApp({ WHATSAPP_QR_TIMEOUT_MS: '300' });
      const carol = await callerFor(testApp, 'code_expired');
      const phone = '33622000003';
      const first = await askForCode(carol, phone);
      expect(Date.parse(first.expiresAt) - Date.now()).toBeLessThanOrEqual(
        6 * 300,
      );

      const status = await statusWhen(
        carol,
        (s) => s.status === 'disconnected',
        'the code to expire',
      );
      await sleep(NO_RECONNECT_WINDOW_MS);

      expect(status).toMatchObject({
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 408, name: 'connectionLost' },
        sessionStored: false,
        linkMethod: null,
      });
      expect(status.reconnectAttempt).toBeUndefined();
      expect(decisions(carol.userId)).toEqual(['408 pairing_expired']);
      expect(failureLogs(carol.userId)).toEqual([]);
      expect(sim.events().filter(isEvent('connected'))).toHaveLength(1);
      expect(existsSync(carol.credsFile)).toBe(false);

      const mark = lastSeq();
      const second = await askForCode(carol, phone);
      expect(second.pairingCode).not.toBe(first.pairingCode);
      expect(typesAfter(mark, ['registration'])).toEqual(['registration']);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    `4. a device linked by code is deleted after ${MAX_FAILURES} counted failures exactly as after a QR, then a new code links again`,
    async () => {
      const testApp = await startApp();
      const dave = await callerFor(testApp, 'code_logout');
      const phone = '33622000004';
      const { device } = await linkByCode(dave, phone);
      sim.rejectLogins(device.user, 401);
      warnSpy.mockClear();
      logSpy.mockClear();

      expect(await sim.kick(device.user, 401)).toBe(1);
      await waitUntil(() => deletionLogs(dave.userId).length > 0, {
        what: 'the threshold to delete the session',
      });
      await sleep(NO_RECONNECT_WINDOW_MS);

      expect(failureLogs(dave.userId)).toEqual(
        Array.from(
          { length: MAX_FAILURES },
          (_, i) =>
            `Connection failure ${i + 1}/${MAX_FAILURES} for user ${dave.userId}`,
        ),
      );
      expect(decisions(dave.userId)).toEqual([
        ...Array.from(
          { length: MAX_FAILURES - 1 },
          () => '401 counted_failure',
        ),
        '401 threshold_reached',
      ]);
      expect(deletionLogs(dave.userId)).toHaveLength(1);
      expect(existsSync(dave.credsFile)).toBe(false);
      const status = await dave.status();
      expect(status).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 401, name: 'loggedOut' },
        sessionStored: false,
        linkMethod: 'code',
      });
      expect(status.reconnectAttempt).toBeUndefined();

      sim.acceptLogins(device.user);
      const mark = lastSeq();
      const { device: again } = await linkByCode(dave, phone);
      expect(again.jid).not.toBe(device.jid);
      expect(typesAfter(mark, ['registration', 'pair-success'])).toEqual([
        'registration',
        'pair-success',
      ]);
      expect(await dave.status()).toMatchObject({
        status: 'connected',
        connectionFailureCount: 0,
        linkMethod: 'code',
        sessionStored: true,
      });
    },
    STORY_TIMEOUT_MS,
  );

  describe('5. input and documentation', () => {
    let testApp: TestApp;
    let erin: Caller;

    beforeEach(async () => {
      testApp = await startApp();
      erin = await callerFor(testApp, 'code_input');
    });

    it.each([
      ['a national number (leading 0)', { phoneNumber: '0612345678' }],
      ['spaces', { phoneNumber: '+33 6 12 34 56 78' }],
      ['letters', { phoneNumber: '+33abc45678' }],
      ['too short', { phoneNumber: '+123456' }],
      ['16 digits', { phoneNumber: '1234567890123456' }],
      ['two plus signs', { phoneNumber: '++33612345678' }],
      ['a number instead of a string', { phoneNumber: 33612345678 }],
      ['an empty string', { phoneNumber: '' }],
      ['no phoneNumber', {}],
    ])(
      'answers 400 with the JSON envelope for %s, and starts nothing',
      async (_name, body) => {
        const answer = await erin.pairingCode(body).expect(400);
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        expect(answer.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: expect.arrayContaining([
            expect.stringContaining('phoneNumber must be'),
          ]) as unknown,
          requestId: answer.headers['x-request-id'],
        });
        expect(sim.events().filter(isEvent('connected'))).toEqual([]);
      },
    );

    it.each(['[]', '["+33612345678"]', '"+33612345678"', '42', 'null'])(
      'answers 400 with the JSON envelope for the JSON body %s',
      async (raw) => {
        const answer = await request(testApp.app.getHttpServer())
          .post(ROUTE)
          .set(erin.auth)
          .set('content-type', 'application/json')
          .send(raw)
          .expect(400);
        expect(answer.body).toMatchObject({
          statusCode: 400,
          error: 'Bad Request',
          requestId: expect.any(String) as unknown,
        });
        expect(sim.events().filter(isEvent('connected'))).toEqual([]);
      },
    );

    it('answers 400 for an unknown field next to a valid number', async () => {
      const answer = await erin
        .pairingCode({ phoneNumber: '+33612345678', admin: true })
        .expect(400);
      expect((answer.body as { message: string[] }).message).toEqual([
        'property admin should not exist',
      ]);
    });

    it('is in the OpenAPI document with a summary, a body schema and an example for every answer', async () => {
      const answer = await request(testApp.app.getHttpServer())
        .get('/api/docs-json')
        .expect(200);
      const document = answer.body as {
        paths: Record<string, Record<string, OpenApiOperation>>;
      };
      const operation = document.paths[ROUTE]?.post;
      expect(operation).toBeDefined();
      expect(operation.summary).toMatch(/pairing code/i);
      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(
        operation.requestBody?.content['application/json']?.schema,
      ).toEqual({ $ref: '#/components/schemas/PairingCodeRequestDto' });
      const statuses = Object.keys(operation.responses).sort();
      expect(statuses).toEqual([
        '200',
        '202',
        '400',
        '401',
        '413',
        '415',
        '429',
        '503',
      ]);
      const examplesOf = (status: string) =>
        Object.values(
          operation.responses[status].content?.['application/json']?.examples ??
            {},
        ).map((example) => example.value);
      for (const status of statuses)
        expect(examplesOf(status).length).toBeGreaterThan(0);
      const errorExamples = statuses
        .filter((status) => Number(status) >= 400)
        .flatMap((status) => examplesOf(status))
        .map((value) => JSON.stringify(value));
      expect(new Set(errorExamples).size).toBe(errorExamples.length);
      expect(examplesOf('200')).toContainEqual(
        expect.objectContaining({ status: 'awaiting_pairing' }),
      );
    });
  });

  it('is rate-limited per user like GET /qr (RATE_LIMIT_QR_PER_MINUTE)', async () => {
    const testApp = await startApp({ RATE_LIMIT_QR_PER_MINUTE: '2' });
    const frank = await callerFor(testApp, 'code_limited');
    // Invalid bodies: the limit is checked before the body, and no socket starts.
    await frank.pairingCode({}).expect(400);
    await frank.pairingCode({}).expect(400);
    const limited = await frank.pairingCode({}).expect(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect((limited.body as { statusCode: number }).statusCode).toBe(429);
  });
});

interface OpenApiOperation {
  summary?: string;
  security?: unknown;
  requestBody?: { content: Record<string, { schema?: unknown }> };
  responses: Record<
    string,
    {
      content?: Record<
        string,
        { examples?: Record<string, { value: unknown }> }
      >;
    }
  >;
}
