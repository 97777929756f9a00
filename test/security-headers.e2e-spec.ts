import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';

function cspDirectives(header: string | undefined): Map<string, string> {
  return new Map(
    (header ?? '')
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name, values.join(' ')] as [string, string];
      }),
  );
}

describe('security headers (e2e)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp();
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  const http = () => request(testApp.app.getHttpServer());

  it.each([
    ['a public JSON route', '/api/health/live', 200],
    ['a refused request', '/api/relance/status', 401],
    ['an unknown route', '/api/nowhere', 404],
    ['Swagger UI', '/api/docs', 200],
    ['the OpenAPI document', '/api/docs-json', 200],
    ['the connect page', '/connect', 200],
    ['a connect page asset', '/connect/assets/connect.css', 200],
  ])('sets them on %s', async (_name, path, status) => {
    const response = await http().get(path).expect(status);
    const headers = response.headers;
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(headers['x-dns-prefetch-control']).toBe('off');
    expect(headers['x-powered-by']).toBeUndefined();

    const csp = cspDirectives(headers['content-security-policy']);
    expect(csp.get('default-src')).toBe("'self'");
    expect(csp.get('script-src')).toBe("'self'");
    expect(csp.get('object-src')).toBe("'none'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'self'");
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
  });

  it('Swagger UI loads only same-origin scripts, so the CSP does not break it', async () => {
    const page = await http().get('/api/docs').expect(200);
    const scripts = [...page.text.matchAll(/<script([^>]*)>([^<]*)</g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src=["'](\.\/)?[\w./-]+["']/);
      expect(attributes).not.toMatch(/src=["']([a-z]+:)?\/\//i);
      expect(body.trim()).toBe('');
    }
    await http().get('/api/docs/swagger-ui-init.js').expect(200);
  });
});
