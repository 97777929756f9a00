/**
 * The connect page in a real browser (Debian's chromium through playwright-core), served by the real app.
 * Stories that need WhatsApp run the production Baileys socket factory against the WhatsApp-edge simulator;
 * the others (token handling, transient states held still for a screenshot, a lost stream, a rate limit)
 * script the sockets with the FakeSocketFactory. Every state the page can show is checked with axe-core and
 * photographed at 390 px and 1280 px into test-artifacts/.
 *
 * Timing: the page is watched with generous waits, never timed. Transient states (each retry of the
 * threshold story) are recorded by a MutationObserver on the page's heading, so a fast machine cannot make
 * the test miss one.
 */
import AxeBuilder from '@axe-core/playwright';
import { mkdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request,
} from 'playwright-core';
import request from 'supertest';
import { ConnectPageFiles } from '../src/connect/connect-page-files';
import { compileConnectPage } from './support/connect-page-files';
import {
  FakeSocketFactory,
  plantStoredSession,
} from './support/fake-socket-factory';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { CHROMIUM, CHROMIUM_ARGS, ensureChromium } from './support/chromium';
import { waitUntil } from './support/wait';
import { WaSimulator, type SimEventOf } from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const WIDTHS = [390, 1280] as const;
const MAX_FAILURES = 3;
/** How long the page may take to show a state: generous, never asserted as a duration. */
const UI_TIMEOUT_MS = 15_000;
const STORY_TIMEOUT_MS = 90_000;
/** Baileys' link-code alphabet (Crockford base 32 without 0), shown as two groups of four. */
const PAIRING_CODE = /^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$/;

const SIMULATOR_ENV = {
  WHATSAPP_MAX_CONNECTION_FAILURES: String(MAX_FAILURES),
  WHATSAPP_RECONNECT_BASE_MS: '100',
  WHATSAPP_RECONNECT_MAX_MS: '400',
  WHATSAPP_QR_WAIT_MS: '10000',
  WHATSAPP_LOGOUT_TIMEOUT_MS: '2000',
  WHATSAPP_RESTORE_JITTER_MS: '0',
  RATE_LIMIT_QR_PER_MINUTE: '1000',
  RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
};

/** QR budget of the scripted app: the rate-limit story spends it on purpose. */
const FAKE_QR_PER_MINUTE = 3;

const FAKE_ENV = {
  WHATSAPP_MAX_CONNECTION_FAILURES: String(MAX_FAILURES),
  // A reconnect this far away stays scheduled while the page is photographed.
  WHATSAPP_RECONNECT_BASE_MS: '600000',
  WHATSAPP_RECONNECT_MAX_MS: '600000',
  WHATSAPP_QR_WAIT_MS: '500',
  RATE_LIMIT_QR_PER_MINUTE: String(FAKE_QR_PER_MINUTE),
  RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
};

// -----------------------------------------------------------------------------
// Harness: the compiled page, one browser, apps on real ports
// -----------------------------------------------------------------------------

let browser: Browser;
let pageFiles: ConnectPageFiles;
const liveApps = new Set<TestApp>();
const contexts = new Set<BrowserContext>();

interface ServedApp {
  testApp: TestApp;
  baseUrl: string;
}

const startApp = async (
  env: Record<string, string>,
  sockets?: FakeSocketFactory,
): Promise<ServedApp> => {
  const testApp = await createTestApp({
    env,
    sockets,
    override: (builder) =>
      builder.overrideProvider(ConnectPageFiles).useValue(pageFiles),
  });
  liveApps.add(testApp);
  await testApp.app.listen(0, '127.0.0.1');
  const { port } = testApp.app.getHttpServer().address() as AddressInfo;
  return { testApp, baseUrl: `http://127.0.0.1:${port}` };
};

const closeApps = async (): Promise<void> => {
  for (const testApp of [...liveApps]) {
    liveApps.delete(testApp);
    await testApp.close();
  }
};

interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  /** Every request the page made. */
  requests: Request[];
}

/** A fresh tab (its own sessionStorage) on `url`. */
const openPage = async (
  url: string,
  options: { beforeLoad?: (page: Page) => Promise<unknown> } = {},
): Promise<OpenedPage> => {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  contexts.add(context);
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: Request[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (sent) => requests.push(sent));
  await options.beforeLoad?.(page);
  await page.goto(url);
  return { page, errors, requests };
};

const closeContexts = async (): Promise<void> => {
  for (const context of [...contexts]) {
    contexts.delete(context);
    await context.close();
  }
};

const connectUrl = (app: ServedApp, token?: string): string =>
  `${app.baseUrl}/connect${token === undefined ? '' : `#token=${token}`}`;

// -----------------------------------------------------------------------------
// What the user sees
// -----------------------------------------------------------------------------

const heading = (page: Page) => page.locator('#state-title');
const notice = (page: Page) => page.locator('#notice');
const qrImage = (page: Page) => page.locator('#qr-image');
const button = (page: Page, name: string | RegExp) =>
  page.getByRole('button', { name, exact: typeof name === 'string' });

const headingText = (page: Page) => heading(page).innerText();

/** Waits for the heading to read `text`; fails with what it read last. */
const waitForHeading = async (
  page: Page,
  text: string | RegExp,
): Promise<void> => {
  const matches = (value: string) =>
    typeof text === 'string' ? value === text : text.test(value);
  let last = '';
  await waitUntil(async () => matches((last = await headingText(page))), {
    timeoutMs: UI_TIMEOUT_MS,
    what: `the heading "${String(text)}" (last: "${last}")`,
  });
};

/** Resolves with the QR string behind the image the page shows (from the GET /qr answer it received). */
const qrShown = async (page: Page): Promise<string> => {
  const answer = await page.waitForResponse(
    (response) =>
      response.url().endsWith('/api/relance/qr') && response.status() === 200,
    { timeout: UI_TIMEOUT_MS },
  );
  const body = (await answer.json()) as { qr: string; qrImage: string };
  await waitUntil(
    async () => (await qrImage(page).getAttribute('src')) === body.qrImage,
    { timeoutMs: UI_TIMEOUT_MS, what: 'the page to show that QR code' },
  );
  expect(await qrImage(page).isVisible()).toBe(true);
  return body.qr;
};

/** Every text the heading showed from now on, including states that lasted a few milliseconds. */
const recordHeadings = async (page: Page): Promise<() => Promise<string[]>> => {
  await page.evaluate(() => {
    const log: string[] = [];
    Object.assign(window, { headingLog: log });
    const title = document.getElementById('state-title');
    if (!title) throw new Error('no #state-title');
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) log.push(node.textContent ?? '');
      }
    }).observe(title, { childList: true });
  });
  return () =>
    page.evaluate(
      () => (window as unknown as { headingLog: string[] }).headingLog,
    );
};

/**
 * axe-core finds no serious or critical violation, then the state is photographed at each width
 * (`connect-<name>-<width>.png`); the page goes back to 1280 px.
 */
const captureState = async (page: Page, name: string): Promise<void> => {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const width of WIDTHS) {
    // A short viewport: the full-page screenshot is then as tall as the content, no empty band.
    await page.setViewportSize({ width, height: 480 });
    const { violations } = await new AxeBuilder({ page }).analyze();
    const blocking = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
    expect({ state: name, width, blocking }).toEqual({
      state: name,
      width,
      blocking: [],
    });
    await page.screenshot({
      path: join(ARTIFACTS, `connect-${name}-${width}.png`),
      fullPage: true,
      animations: 'disabled',
    });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
};

/** The same, with the system in dark mode. */
const captureDark = async (page: Page, name: string): Promise<void> => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await captureState(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
};

/** No CSP refusal and no script error while the page ran. */
const expectCleanConsole = (opened: OpenedPage): void => {
  expect(opened.errors).toEqual([]);
};

// -----------------------------------------------------------------------------
// Suite
// -----------------------------------------------------------------------------

beforeAll(async () => {
  // Installs Debian's chromium with apt when missing and running as root.
  ensureChromium();
  pageFiles = await compileConnectPage();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (pageFiles)
    await rm(pageFiles.scriptsDir, { recursive: true, force: true });
  await stopTestDatabase();
});

describe('connect page with WhatsApp (simulator, production Baileys sockets) (e2e)', () => {
  let sim: WaSimulator;
  let distrust: () => void;

  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(() => distrust());

  beforeEach(async () => {
    sim = await WaSimulator.start();
  });

  afterEach(async () => {
    await closeContexts();
    // Never end a socket with post-open queries in flight (60 s Baileys timers).
    await sim.waitForQuiet().catch(() => undefined);
    await closeApps();
    await sim.close();
  });

  const startSimApp = () =>
    startApp({ ...SIMULATOR_ENV, WHATSAPP_WS_URL: sim.url });

  /** Opens the page for `userId`, scans the QR it shows with `phone`, and waits for Connected. */
  const linkThroughPage = async (
    app: ServedApp,
    userId: string,
    phone: string,
  ) => {
    const opened = await openPage(connectUrl(app, await tokenFor(userId)));
    const qr = await qrShown(opened.page);
    const device = await sim.scan(qr, { phone });
    await waitForHeading(opened.page, 'Connected');
    await sim.waitForQuiet();
    return { ...opened, device, qr };
  };

  it(
    'story 1: opening /connect#token=… shows a QR code; scanning it shows Connected without a reload',
    async () => {
      const app = await startSimApp();
      const opened = await openPage(
        connectUrl(app, await tokenFor('page_link')),
      );
      const { page } = opened;

      const qr = await qrShown(page);
      await waitForHeading(page, 'Scan the QR code with WhatsApp');
      await expect(
        page.locator('.view-qr .steps li').allInnerTexts(),
      ).resolves.toEqual([
        'Open WhatsApp on your phone.',
        'Tap Menu (⋮) on Android, or Settings on iPhone.',
        'Tap Linked devices, then Link a device.',
        'Point your phone at this screen to scan the code.',
      ]);
      await expect(qrImage(page).getAttribute('alt')).resolves.toMatch(
        /QR code to link WhatsApp/,
      );
      await captureState(page, 'qr');
      await captureDark(page, 'qr');
      // Marks this document: a reload would lose it.
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));

      await sim.scan(qr, { phone: '33622000001' });

      await waitForHeading(page, 'Connected');
      await waitUntil(
        async () =>
          /^WhatsApp was linked on .+\. Follow-up messages can be sent\.$/.test(
            await page.locator('#state-detail').innerText(),
          ),
        { timeoutMs: UI_TIMEOUT_MS, what: 'the time WhatsApp was linked' },
      );
      await expect(
        page.evaluate(
          () => (window as unknown as { sameDocument?: boolean }).sameDocument,
        ),
      ).resolves.toBe(true);
      await sim.waitForQuiet();
      await captureState(page, 'connected');
      await captureDark(page, 'connected');
      expectCleanConsole(opened);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'story 1b: "Link with phone number instead" shows a code to type; typing it on the phone shows Connected without a reload, and a bad number is explained beside the field',
    async () => {
      const app = await startSimApp();
      const opened = await openPage(
        connectUrl(app, await tokenFor('page_code')),
      );
      const { page } = opened;
      await qrShown(page);
      await page.evaluate(() => Object.assign(window, { sameDocument: true }));

      await button(page, 'Link with phone number instead').click();
      await waitForHeading(page, 'Link with your phone number');
      const field = page.getByLabel('Phone number');
      await expect(
        page.evaluate(() => document.activeElement?.id),
      ).resolves.toBe('phone-input');
      await captureState(page, 'phone');

      await field.fill('06 12 34');
      await button(page, 'Get a code').click();
      await waitUntil(async () => page.locator('#phone-error').isVisible(), {
        timeoutMs: UI_TIMEOUT_MS,
        what: 'the phone number error',
      });
      await expect(page.locator('#phone-error').innerText()).resolves.toMatch(
        /^phoneNumber must be the WhatsApp number in international form/,
      );
      await expect(field.getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(
        page.evaluate(() => document.activeElement?.id),
      ).resolves.toBe('phone-input');
      await captureState(page, 'phone-error');

      const phone = '33622000011';
      await field.fill('+33 6 22 00 00 11');
      await button(page, 'Get a code').click();
      await waitForHeading(page, 'Enter this code on your phone');
      const code = await page.locator('#pairing-code').innerText();
      expect(code).toMatch(PAIRING_CODE);
      await expect(
        page.locator('#pairing-countdown').innerText(),
      ).resolves.toMatch(/^Expires in \d+:\d{2}$|^The code is expiring…$/);
      await expect(
        page.locator('.view-pairing .steps li').allInnerTexts(),
      ).resolves.toEqual([
        'Open WhatsApp on your phone.',
        'Tap Menu (⋮) on Android, or Settings on iPhone.',
        'Tap Linked devices, then Link a device.',
        'Tap Link with phone number instead, then type the code shown here.',
      ]);
      await captureState(page, 'pairing');
      await captureDark(page, 'pairing');

      await sim.enterCode(phone, code);

      await waitForHeading(page, 'Connected');
      await expect(
        page.evaluate(
          () => (window as unknown as { sameDocument?: boolean }).sameDocument,
        ),
      ).resolves.toBe(true);
      await sim.waitForQuiet();
      // The browser logs the refused number (400) itself; the page adds nothing.
      expect(
        opened.errors.filter((text) => !text.includes('status of 400')),
      ).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    `story 2: counted rejections show "Retrying... (1/${MAX_FAILURES})" then (2/${MAX_FAILURES}); at the threshold the reset message offers a new QR`,
    async () => {
      const app = await startSimApp();
      const {
        page,
        device,
        qr: firstQr,
        ...opened
      } = await linkThroughPage(app, 'page_threshold', '33622000002');
      const headings = await recordHeadings(page);

      sim.rejectLogins(device.user, 401);
      expect(await sim.kick(device.user, 401)).toBe(1);

      await waitForHeading(
        page,
        `${MAX_FAILURES} consecutive failures: scan again`,
      );
      const shown = await headings();
      const retrying = shown.filter((text) => text.includes('Retrying'));
      expect([...new Set(retrying)]).toEqual([
        `Connection issue detected. Retrying... (1/${MAX_FAILURES})`,
        `Connection issue detected. Retrying... (2/${MAX_FAILURES})`,
      ]);
      expect(shown.at(-1)).toBe(
        `${MAX_FAILURES} consecutive failures: scan again`,
      );
      await expect(
        page.locator('#state-detail').innerText(),
      ).resolves.toContain('Scan a new QR code');
      await expect(button(page, 'Reset session…').isVisible()).resolves.toBe(
        false,
      );
      await captureState(page, 'threshold');

      const nextQr = qrShown(page);
      await button(page, 'Show a new QR code').click();
      expect(await nextQr).not.toBe(firstQr);
      await waitForHeading(page, 'Scan the QR code with WhatsApp');
      expectCleanConsole({ page, ...opened });
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'story 3: Disconnect and Reset work from the buttons, and Reset asks for confirmation first',
    async () => {
      const app = await startSimApp();
      const { page, device, ...opened } = await linkThroughPage(
        app,
        'page_buttons',
        '33622000003',
      );
      let mark = sim.events().at(-1)?.seq ?? 0;

      await button(page, 'Disconnect').click();
      await waitForHeading(page, 'Disconnected');
      const closed = await sim.waitFor(
        (e): e is SimEventOf<'closed'> =>
          e.type === 'closed' && e.seq > mark && e.user === device.user,
      );
      expect(closed.by).toBe('client');
      expect(sim.linkedDevices(device.user)).toHaveLength(1);
      await expect(
        page.locator('#state-detail').innerText(),
      ).resolves.toContain('no scan is needed');
      await captureState(page, 'disconnected');

      await button(page, 'Reconnect').click();
      await waitForHeading(page, 'Connected');
      await sim.waitForQuiet();
      mark = sim.events().at(-1)?.seq ?? 0;

      // Reset asks first, naming what it does; Cancel changes nothing.
      const dialog = page.getByRole('dialog', {
        name: 'Reset the WhatsApp session?',
      });
      await button(page, 'Reset session…').click();
      await dialog.waitFor();
      await expect(dialog.innerText()).resolves.toContain(
        'you will have to scan a new QR code',
      );
      await captureState(page, 'reset-confirmation');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      await expect(headingText(page)).resolves.toBe('Connected');
      expect(sim.events().filter((e) => e.seq > mark)).toEqual([]);

      await button(page, 'Reset session…').click();
      await dialog.getByRole('button', { name: 'Reset session' }).click();
      await waitForHeading(page, 'Session reset: scan again');
      const logout = await sim.waitFor(
        (e): e is SimEventOf<'logout'> => e.type === 'logout' && e.seq > mark,
      );
      expect(logout).toMatchObject({ user: device.user, jid: device.jid });
      expect(sim.linkedDevices(device.user)).toEqual([]);
      await expect(
        button(page, 'Show a new QR code').isVisible(),
      ).resolves.toBe(true);
      await captureState(page, 'reset');
      expectCleanConsole({ page, ...opened });
    },
    STORY_TIMEOUT_MS,
  );
});

describe('connect page without WhatsApp (scripted sockets) (e2e)', () => {
  let sockets: FakeSocketFactory;
  let app: ServedApp;

  beforeAll(async () => {
    sockets = new FakeSocketFactory();
    app = await startApp(FAKE_ENV, sockets);
  });

  afterEach(closeContexts);

  afterAll(closeApps);

  it(
    'story 4: the fragment token leaves the address bar at once and no request carries it in a URL',
    async () => {
      const token = await tokenFor('page_fragment');
      const opened = await openPage(connectUrl(app, token));
      const { page, requests } = opened;

      await waitForHeading(page, 'Connecting to WhatsApp…');
      await expect(page.evaluate(() => location.href)).resolves.toBe(
        `${app.baseUrl}/connect`,
      );
      // A reload keeps working: the tab kept the token, not the address bar.
      await page.reload();
      await waitForHeading(page, 'Connecting to WhatsApp…');
      await expect(page.evaluate(() => location.href)).resolves.toBe(
        `${app.baseUrl}/connect`,
      );

      const api = requests.filter((sent) => sent.url().includes('/api/'));
      expect(api.map((sent) => new URL(sent.url()).pathname)).toEqual(
        expect.arrayContaining(['/api/relance/events', '/api/relance/qr']),
      );
      for (const sent of api) {
        expect(sent.headers().authorization).toBe(`Bearer ${token}`);
      }
      for (const sent of requests) {
        expect(sent.url()).not.toContain(token);
        expect(sent.headers().referer ?? '').not.toContain(token);
      }
      expectCleanConsole(opened);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'story 5: a bad token shows the token field with an error; without a token the field asks for one',
    async () => {
      const refused = await openPage(connectUrl(app, 'not-a-valid-token'));
      const input = refused.page.getByLabel('Access token');
      await waitForHeading(refused.page, 'Your access token was refused');
      await expect(input.isVisible()).resolves.toBe(true);
      await expect(input.getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(
        refused.page.locator('#token-error').innerText(),
      ).resolves.toBe(
        'This access token is invalid or has expired. Paste a new one.',
      );
      await expect(
        refused.page.evaluate(() => document.activeElement?.id),
      ).resolves.toBe('token-input');
      await captureState(refused.page, 'token-refused');

      const blank = await openPage(connectUrl(app));
      await waitForHeading(blank.page, 'Paste your access token');
      await expect(
        blank.page.locator('#token-error').isVisible(),
      ).resolves.toBe(false);
      await captureState(blank.page, 'token');

      // Pasting a valid token goes on to the user's session.
      await blank.page
        .getByLabel('Access token')
        .fill(await tokenFor('page_pasted'));
      await button(blank.page, 'Continue').click();
      await waitForHeading(blank.page, 'Connecting to WhatsApp…');
      await expect(
        blank.page.evaluate(() => sessionStorage.length),
      ).resolves.toBe(1);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'shows loading, connecting and retrying (with the next attempt time) as the stream reports them',
    async () => {
      const userId = 'page_states';
      let releaseStream = () => undefined as void;
      const held = new Promise<void>((resolve) => (releaseStream = resolve));
      const opened = await openPage(connectUrl(app, await tokenFor(userId)), {
        beforeLoad: (page) =>
          page.route('**/api/relance/events', async (route) => {
            await held;
            await route.continue();
          }),
      });
      const { page } = opened;

      await waitForHeading(page, 'Checking your WhatsApp connection…');
      await captureState(page, 'loading');
      releaseStream();

      // Nothing linked: the page asks for a QR by itself, and the socket starts.
      await waitForHeading(page, 'Connecting to WhatsApp…');
      await captureState(page, 'connecting');

      await waitUntil(() => sockets.socketsFor(userId).length === 1);
      sockets.latest(userId).qr();
      await waitForHeading(page, 'Scan the QR code with WhatsApp');
      await plantStoredSession(app.testApp.sessionsDir, userId);
      sockets.latest(userId).paired();
      sockets.latest(userId).close(515);
      await waitUntil(() => sockets.socketsFor(userId).length === 2);
      sockets.latest(userId).open();
      await waitForHeading(page, 'Connected');

      sockets.latest(userId).close(401);
      await waitForHeading(
        page,
        `Connection issue detected. Retrying... (1/${MAX_FAILURES})`,
      );
      await expect(page.locator('#state-detail').innerText()).resolves.toMatch(
        new RegExp(
          `^Next attempt at \\d{1,2}:\\d{2}:\\d{2}( [AP]M)?\\. After ${MAX_FAILURES} failures in a row`,
        ),
      );
      await captureState(page, 'retrying');

      // Disconnect cancels the scheduled reconnect; the stored session stays.
      await button(page, 'Disconnect').click();
      await waitForHeading(page, 'Disconnected');
      expectCleanConsole(opened);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'an expired pairing code says so and "Get a new code" asks again for the same number; past the budget (429) the field says how long to wait',
    async () => {
      const userId = 'page_code_expired';
      const opened = await openPage(connectUrl(app, await tokenFor(userId)));
      const { page } = opened;
      await waitUntil(() => sockets.socketsFor(userId).length === 1);
      sockets.latest(userId).qr();
      await waitForHeading(page, 'Scan the QR code with WhatsApp');

      await button(page, 'Link with phone number instead').click();
      await page.getByLabel('Phone number').fill('+33622000021');
      await button(page, 'Get a code').click();
      await waitForHeading(page, 'Enter this code on your phone');
      await expect(page.locator('#pairing-code').innerText()).resolves.toBe(
        'PAIR-0001',
      );
      expect(sockets.latest(userId).pairingRequests).toEqual(['33622000021']);

      // WhatsApp closes the connection (408) once nobody typed the code in time.
      sockets.latest(userId).close(408);
      await waitForHeading(page, 'The code expired');
      await expect(button(page, 'Scan a QR instead').isVisible()).resolves.toBe(
        true,
      );
      await captureState(page, 'pairing-expired');

      /** "Get a new code" once the code expired: a new connection, asked for a code for the same number. */
      const newCodeAfterExpiry = async () => {
        const socketsBefore = sockets.socketsFor(userId).length;
        await button(page, 'Get a new code').click();
        await waitUntil(
          () => sockets.socketsFor(userId).length === socketsBefore + 1,
          { timeoutMs: UI_TIMEOUT_MS, what: 'a new connection for the code' },
        );
        sockets.latest(userId).qr();
        await waitForHeading(page, 'Enter this code on your phone');
        expect(sockets.latest(userId).pairingRequests).toEqual(['33622000021']);
        await expect(page.locator('#pairing-code').isVisible()).resolves.toBe(
          true,
        );
        sockets.latest(userId).close(408);
        await waitForHeading(page, 'The code expired');
      };
      // POST /pairing-code has its own budget per user (RATE_LIMIT_QR_PER_MINUTE): the first call spent one.
      for (let call = 1; call < FAKE_QR_PER_MINUTE; call += 1) {
        await newCodeAfterExpiry();
      }

      // Past the budget: the field comes back and says how long to wait.
      await button(page, 'Get a new code').click();
      await waitForHeading(page, 'Link with your phone number');
      await waitUntil(async () => notice(page).isVisible(), {
        timeoutMs: UI_TIMEOUT_MS,
        what: 'the rate-limit notice',
      });
      await expect(notice(page).innerText()).resolves.toMatch(
        /^Too many requests\. Wait \d+ seconds?, then try again\.$/,
      );
      expect(
        opened.errors.filter((text) => !text.includes('status of 429')),
      ).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'a lost stream gets its own message, the page falls back to GET /status, and the stream comes back',
    async () => {
      const userId = 'page_stream_lost';
      await plantStoredSession(app.testApp.sessionsDir, userId);
      const token = await tokenFor(userId);
      const opened = await openPage(connectUrl(app, token), {
        beforeLoad: (page) =>
          page.route('**/api/relance/events', (route) => route.abort()),
      });
      const { page } = opened;

      // The state still shows, read from GET /status.
      await waitForHeading(page, 'Disconnected');
      await waitUntil(async () => notice(page).isVisible(), {
        timeoutMs: UI_TIMEOUT_MS,
        what: 'the lost-stream notice',
      });
      await expect(notice(page).innerText()).resolves.toMatch(
        /^Live updates were interrupted\. Reconnecting in \d+ seconds?…$/,
      );
      await captureState(page, 'stream-lost');

      await page.unroute('**/api/relance/events');
      await waitUntil(async () => !(await notice(page).isVisible()), {
        timeoutMs: 60_000,
        what: 'the stream to come back and the notice to go',
      });
      // Live again: a change on the server reaches the page without a reload.
      await request(app.testApp.app.getHttpServer())
        .get('/api/relance/qr')
        .set(bearer(token))
        .expect(202);
      await waitForHeading(page, 'Connecting to WhatsApp…');
      // The aborted requests are the test's doing; nothing else may fail.
      expect(
        opened.errors.filter((text) => !text.includes('net::ERR_FAILED')),
      ).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'a rate limit (429) says how long to wait',
    async () => {
      const userId = 'page_limited';
      const token = await tokenFor(userId);
      const http = () => request(app.testApp.app.getHttpServer());
      for (let call = 0; call < FAKE_QR_PER_MINUTE; call += 1) {
        await http().get('/api/relance/qr').set(bearer(token)).expect(202);
      }
      await http()
        .delete('/api/relance/disconnect')
        .set(bearer(token))
        .expect(200);

      const opened = await openPage(connectUrl(app, token));
      const { page } = opened;

      await waitUntil(async () => notice(page).isVisible(), {
        timeoutMs: UI_TIMEOUT_MS,
        what: 'the rate-limit notice',
      });
      await expect(notice(page).innerText()).resolves.toMatch(
        /^Too many requests\. Wait \d+ seconds?, then try again\.$/,
      );
      await waitForHeading(page, 'WhatsApp is not linked');
      await expect(button(page, 'Link WhatsApp').isVisible()).resolves.toBe(
        true,
      );
      await captureState(page, 'rate-limited');
      // The browser logs the 429 itself; the page adds nothing.
      expect(
        opened.errors.filter((text) => !text.includes('status of 429')),
      ).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it('reads the event stream whatever its line ends and however the network splits it (browser modules, in the browser)', async () => {
    const { page } = await openPage(connectUrl(app));
    await waitForHeading(page, 'Paste your access token');
    const stream =
      ': comment\r\nevent: snapshot\r\ndata: {"status":"connected"}\r\n\r\n' +
      'event: qr\ndata: {"qr":"a",\ndata: "b":1}\n\n' +
      'event: heartbeat\rdata:{"at":"now"}\r\r' +
      'data: no event name\n\nevent: empty\n\n';
    const results = await page.evaluate(async (text) => {
      const { SseParser } = (await import(
        new URL('connect/assets/sse-parser.mjs', document.baseURI).href
      )) as typeof import('../src/connect/client/sse-parser.mjs');
      // Every way of cutting the stream in two must give the same messages.
      return Array.from({ length: text.length + 1 }, (_, cut) => {
        const parser = new SseParser();
        return [
          ...parser.push(text.slice(0, cut)),
          ...parser.push(text.slice(cut)),
        ];
      });
    }, stream);
    const expected = [
      { event: 'snapshot', data: '{"status":"connected"}' },
      { event: 'qr', data: '{"qr":"a",\n"b":1}' },
      { event: 'heartbeat', data: '{"at":"now"}' },
      { event: 'message', data: 'no event name' },
    ];
    expect(
      new Set(results.map((messages) => JSON.stringify(messages))),
    ).toEqual(new Set([JSON.stringify(expected)]));
  });

  it('serves the page and its assets under the CSP, and 404s when CONNECT_PAGE_ENABLED=false', async () => {
    const http = () => request(app.testApp.app.getHttpServer());
    const page = await http().get('/connect').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<title>Link WhatsApp</title>');
    expect(page.headers['content-security-policy']).toContain(
      "script-src 'self'",
    );
    const scripts = [...page.text.matchAll(/<script([^>]*)>([^<]*)</g)];
    expect(scripts).toHaveLength(1);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toContain('src="connect/assets/connect-page.mjs"');
      expect(body.trim()).toBe('');
    }
    const script = await http()
      .get('/connect/assets/connect-page.mjs')
      .expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    await http()
      .get('/connect/assets/connect.css')
      .expect(200)
      .expect('content-type', /text\/css/);
    // Only the page's assets: not its template, not what the build leaves beside the modules.
    await http().get('/connect/assets/connect.html').expect(404);
    await http().get('/connect/assets/api.d.mts').expect(404);
    await http().get('/connect/assets/..%2f..%2fpackage.json').expect(404);

    const titled = await startApp({
      ...FAKE_ENV,
      CONNECT_PAGE_TITLE: 'Acme <Relance> & co',
    });
    const custom = await request(titled.testApp.app.getHttpServer())
      .get('/connect')
      .expect(200);
    expect(custom.text).toContain(
      '<title>Acme &lt;Relance&gt; &amp; co</title>',
    );

    const disabled = await startApp({
      ...FAKE_ENV,
      CONNECT_PAGE_ENABLED: 'false',
    });
    const off = () => request(disabled.testApp.app.getHttpServer());
    await off().get('/connect').expect(404);
    await off().get('/connect/assets/connect-page.mjs').expect(404);
  });
});
