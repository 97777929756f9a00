import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from './support/chromium';
import { FakeSocketFactory } from './support/fake-socket-factory';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { tokenFor } from './support/tokens';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts');

/**
 * Drives Swagger UI in a real browser: the real app on a real port, Debian's
 * chromium (never a downloaded one), the user's path through the docs. It also
 * proves the Content-Security-Policy leaves Swagger UI working.
 */
describe('Swagger UI in a real browser (e2e)', () => {
  let testApp: TestApp;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    // Installs it with apt when missing (root only): minutes, hence the timeout.
    const executablePath = ensureChromium();
    testApp = await createTestApp({
      sockets: new FakeSocketFactory(),
    });
    await testApp.app.listen(0, '127.0.0.1');
    const { port } = testApp.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
    await stopTestDatabase();
  });

  it('authorizes with a token and executes GET /api/relance/status, showing the 200', async () => {
    const token = await tokenFor('swagger_user');
    await page.goto(`${baseUrl}/api/docs`, { waitUntil: 'networkidle' });

    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    // The user JWT scheme; the modal also offers /metrics' own token scheme.
    const userScheme = modal
      .locator('form')
      .filter({ hasText: 'bearer (http, Bearer)' });
    await userScheme.locator('input').fill(token);
    await userScheme.locator('.auth-btn-wrapper button.authorize').click();
    await modal.locator('button.btn-done').first().click();

    const operation = page.locator(
      '#operations-relance-RelanceController_getStatus',
    );
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();

    const served = operation.locator('.live-responses-table tr.response');
    await served.waitFor();
    await expect(
      served.locator('.response-col_status').innerText(),
    ).resolves.toBe('200');
    await expect(
      served.locator('.response-col_description').innerText(),
    ).resolves.toContain('"sessionStored": false');
    // The curl shown to the user carries the bearer token: it really was sent.
    await expect(operation.locator('.curl').innerText()).resolves.toContain(
      `Bearer ${token}`,
    );

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: join(ARTIFACTS, 'swagger-ui-status.png'),
      fullPage: true,
    });

    expect(
      consoleErrors.filter((text) =>
        /Content Security Policy|Refused to/i.test(text),
      ),
    ).toEqual([]);
  });
});
