import request from 'supertest';
import {
  BODY_TOO_LARGE_MESSAGE,
  INVALID_JSON_MESSAGE,
} from '../src/common/api-error-response.decorator';
import { FakeSocketFactory } from './support/fake-socket-factory';
import type { DisconnectBody, ErrorBody } from './support/response-bodies';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';

/** A marker that must never come back in a response body. */
const CANARY = 'canary-7f3a9c-payload';

interface BadInput {
  name: string;
  contentType?: string;
  body: string;
  status: number | number[];
  /** A fragment the envelope's message must contain (e.g. the field's name). */
  mentions?: string;
}

const BAD_INPUTS: BadInput[] = [
  {
    name: 'malformed JSON',
    contentType: 'application/json',
    body: `{"force": tru ${CANARY}`,
    status: 400,
  },
  {
    name: 'truncated JSON',
    contentType: 'application/json',
    body: `{"force":"${CANARY}`,
    status: 400,
  },
  {
    name: 'a JSON prototype-pollution key',
    contentType: 'application/json',
    body: `{"__proto__":{"admin":"${CANARY}"}}`,
    status: 400,
  },
  {
    name: 'text/plain body',
    contentType: 'text/plain',
    body: `force=${CANARY}`,
    status: 415,
  },
  {
    name: 'application/xml body',
    contentType: 'application/xml',
    body: `<force>${CANARY}</force>`,
    status: 415,
  },
  {
    name: 'form-encoded body',
    contentType: 'application/x-www-form-urlencoded',
    body: `force=${CANARY}`,
    status: 415,
  },
  {
    name: 'unknown field',
    contentType: 'application/json',
    body: JSON.stringify({ force: false, admin: CANARY }),
    status: 400,
    mentions: 'admin',
  },
  {
    name: 'unknown field with a hostile name',
    contentType: 'application/json',
    body: JSON.stringify({ [`<script>${CANARY}</script>`]: 1 }),
    status: 400,
  },
  {
    name: 'force as a string',
    contentType: 'application/json',
    body: JSON.stringify({ force: CANARY }),
    status: 400,
    mentions: 'force',
  },
  {
    name: 'force as "true"',
    contentType: 'application/json',
    body: JSON.stringify({ force: 'true' }),
    status: 400,
    mentions: 'force',
  },
  {
    name: 'force as a number',
    contentType: 'application/json',
    body: JSON.stringify({ force: 1 }),
    status: 400,
    mentions: 'force',
  },
  {
    name: 'force as an object',
    contentType: 'application/json',
    body: JSON.stringify({ force: { $ne: CANARY } }),
    status: 400,
    mentions: 'force',
  },
  {
    name: 'force as null',
    contentType: 'application/json',
    body: JSON.stringify({ force: null, extra: CANARY }),
    status: 400,
  },
  {
    name: 'force as null alone (found by fuzzing: it was taken as absent)',
    contentType: 'application/json',
    body: JSON.stringify({ force: null }),
    status: 400,
    mentions: 'force must be a boolean',
  },
  {
    name: 'a JSON array body',
    contentType: 'application/json',
    body: JSON.stringify([CANARY]),
    status: 400,
  },
  {
    name: 'a JSON string body',
    contentType: 'application/json',
    body: JSON.stringify(CANARY),
    status: 400,
  },
  {
    name: 'a JSON number body',
    contentType: 'application/json',
    body: '42',
    status: 400,
  },
];

describe('bad input on the HTTP surface (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;
  let auth: { Authorization: string };

  beforeAll(async () => {
    factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        HTTP_BODY_LIMIT_BYTES: '2048',
        RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
        RATE_LIMIT_QR_PER_MINUTE: '1000',
      },
      sockets: factory,
    });
    auth = bearer(await tokenFor('input_user'));
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  const http = () => request(testApp.app.getHttpServer());

  function expectCleanEnvelope(
    response: request.Response,
    status: number,
  ): ErrorBody {
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      statusCode: status,
      error: expect.any(String) as unknown,
      message: expect.anything() as unknown,
      requestId: response.headers['x-request-id'],
    });
    expect(response.text).not.toContain(CANARY);
    expect(response.text).not.toMatch(/\n\s+at |node_modules|Mongo|FST_/);
    return response.body as ErrorBody;
  }

  it.each(BAD_INPUTS)(
    'DELETE /disconnect with $name is refused with a clean envelope',
    async ({ contentType, body, status, mentions }) => {
      const response = await http()
        .delete('/api/relance/disconnect')
        .set(auth)
        .set('Content-Type', contentType ?? 'application/json')
        .send(body);
      const allowed = Array.isArray(status) ? status : [status];
      expect(allowed).toContain(response.status);
      const envelope = expectCleanEnvelope(response, response.status);
      if (mentions) {
        expect(JSON.stringify(envelope.message)).toContain(mentions);
      }
      expect(factory.sockets).toHaveLength(0);
    },
  );

  it('refuses a body over HTTP_BODY_LIMIT_BYTES with 413', async () => {
    const body = JSON.stringify({ force: false, pad: CANARY.repeat(200) });
    const response = await http()
      .delete('/api/relance/disconnect')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(413);
    // The OpenAPI example shows this message.
    expect(expectCleanEnvelope(response, 413).message).toBe(
      BODY_TOO_LARGE_MESSAGE,
    );
  });

  it('answers malformed JSON with the message the OpenAPI document describes', async () => {
    const response = await http()
      .delete('/api/relance/disconnect')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"force": tru')
      .expect(400);
    expect((response.body as ErrorBody).message).toBe(INVALID_JSON_MESSAGE);
  });

  it('refuses a body on GET /status that is over the limit, before auth or parsing', async () => {
    const response = await http()
      .get('/api/relance/status')
      .set('Content-Type', 'application/json')
      .send(`{"x":"${CANARY.repeat(200)}"}`);
    expect([400, 401, 413]).toContain(response.status);
    expectCleanEnvelope(response, response.status);
  });

  it('accepts the documented bodies: none, {}, {"force":false} and {"force":true}', async () => {
    for (const body of [undefined, {}, { force: false }, { force: true }]) {
      const call = http().delete('/api/relance/disconnect').set(auth);
      const response = await (body === undefined ? call : call.send(body));
      expect(response.status).toBe(200);
      expect((response.body as DisconnectBody).success).toBe(true);
    }
  });

  it('ignores unknown query parameters', async () => {
    await http()
      .get(`/api/relance/status?evil=${CANARY}`)
      .set(auth)
      .expect(200);
  });

  it('treats a JSON null body as no body', async () => {
    await http()
      .delete('/api/relance/disconnect')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('null')
      .expect(200);
  });

  it('answers an unknown route with the envelope, without echoing the path', async () => {
    const response = await http()
      .get('/api/relance/nowhere')
      .set(auth)
      .expect(404);
    expect(response.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No route matches this method and path',
      requestId: response.headers['x-request-id'],
    });
  });

  it('refuses a body with a content type but no JSON on a GET with 415', async () => {
    const response = await http()
      .get('/api/relance/status')
      .set(auth)
      .set('Content-Type', 'application/xml')
      .send(`<x>${CANARY}</x>`)
      .expect(415);
    expect(expectCleanEnvelope(response, 415).message).toBe(
      'Request bodies must be application/json',
    );
  });
});
