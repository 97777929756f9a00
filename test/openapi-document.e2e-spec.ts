import { STATUS_CODES } from 'node:http';
import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';

interface MediaType {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface Response {
  description?: string;
  content?: Record<string, MediaType>;
  links?: Record<string, { operationId?: string }>;
}

interface Operation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, Response>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];

interface Documented {
  label: string;
  operation: Operation;
}

function operationsOf(document: Document): Documented[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({
        label: `${method.toUpperCase()} ${path}`,
        operation,
      })),
  );
}

interface DocumentedResponse {
  label: string;
  status: number;
  response: Response;
}

function responsesOf(document: Document): DocumentedResponse[] {
  return operationsOf(document).flatMap(({ label, operation }) =>
    Object.entries(operation.responses).map(([status, response]) => ({
      label: `${label} ${status}`,
      status: Number(status),
      response,
    })),
  );
}

/** Every example a media type shows: `example`, and each of `examples`. */
function examplesOf(media: MediaType): unknown[] {
  return [
    ...(media.example !== undefined ? [media.example] : []),
    ...Object.values(media.examples ?? {}).map((example) => example.value),
  ];
}

/**
 * Walks /api/docs-json, so every route added later is held to the same
 * rules: a summary per operation, a real example per documented response,
 * and error examples that belong to their own status code.
 */
describe('the OpenAPI document (e2e)', () => {
  let testApp: TestApp;
  let document: Document;

  beforeAll(async () => {
    testApp = await createTestApp();
    document = (
      await request(testApp.app.getHttpServer())
        .get('/api/docs-json')
        .expect(200)
    ).body as Document;
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  it('documents the routes it is walking (a guard against an empty walk)', () => {
    expect(operationsOf(document).map(({ label }) => label)).toEqual(
      expect.arrayContaining([
        'GET /api/relance/qr',
        'GET /api/relance/status',
        'DELETE /api/relance/disconnect',
        'GET /api/health/ready',
        'GET /metrics',
      ]),
    );
  });

  it('gives every operation a summary', () => {
    const missing = operationsOf(document)
      .filter(({ operation }) => !operation.summary?.trim())
      .map(({ label }) => label);
    expect(missing).toEqual([]);
  });

  it('gives every documented response a description and, when it has a body, an example', () => {
    const problems = responsesOf(document).flatMap(({ label, response }) => [
      ...(response.description?.trim() ? [] : [`${label}: no description`]),
      ...Object.entries(response.content ?? {})
        .filter(([, media]) => examplesOf(media).length === 0)
        .map(([type]) => `${label} ${type}: no example`),
    ]);
    expect(problems).toEqual([]);
  });

  it('documents every error response as the JSON envelope, with an example of its own status', () => {
    const problems = responsesOf(document)
      .filter(({ status }) => status >= 400)
      .flatMap(({ label, status, response }) => {
        const json = response.content?.['application/json'];
        if (!json) return [`${label}: not application/json`];
        const examples = examplesOf(json);
        if (examples.length === 0) return [`${label}: no example`];
        return examples
          .filter(
            (example) =>
              (example as { statusCode?: unknown }).statusCode !== status ||
              (example as { error?: unknown }).error !== STATUS_CODES[status],
          )
          .map(
            (example) =>
              `${label}: example of another status ${JSON.stringify(example)}`,
          );
      });
    expect(problems).toEqual([]);
  });

  it('never shows the same error body under two status codes', () => {
    const bodies = responsesOf(document)
      .filter(({ status }) => status >= 400)
      .flatMap(({ status, response }) =>
        examplesOf(response.content?.['application/json'] ?? {}).map(
          (example) => ({ status, body: JSON.stringify(example) }),
        ),
      );
    const statusesByBody = new Map<string, Set<number>>();
    for (const { status, body } of bodies)
      statusesByBody.set(
        body,
        (statusesByBody.get(body) ?? new Set()).add(status),
      );
    const shared = [...statusesByBody.entries()]
      .filter(([, statuses]) => statuses.size > 1)
      .map(([body]) => body);
    expect(shared).toEqual([]);
  });

  it('links operations only to operations that exist', () => {
    const ids = new Set(
      operationsOf(document).map(({ operation }) => operation.operationId),
    );
    const links = responsesOf(document).flatMap(({ label, response }) =>
      Object.entries(response.links ?? {}).map(([name, link]) => ({
        label: `${label} -> ${name}`,
        target: link.operationId,
      })),
    );
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter(({ target }) => !ids.has(target))).toEqual([]);
  });

  it('documents /metrics with its own token scheme, optional for allowed addresses, not the user JWT', () => {
    const metrics = document.paths['/metrics'].get;
    expect(metrics.security).toEqual([{}, { metricsToken: [] }]);
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
      'bearer',
      'metricsToken',
    ]);
  });
});
