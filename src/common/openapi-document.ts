import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { METRICS_SECURITY_SCHEME } from '../metrics/metrics.controller';
import { operationIdOf } from './openapi-links';

const DESCRIPTION = `Links a user's WhatsApp account by QR code and keeps the session alive across failures.

### Getting a token
Every route except health, \`/metrics\` and these docs needs \`Authorization: Bearer <JWT>\`. The token's \`sub\` claim is the user id: a user only ever reaches their own session.
- **Development**: \`npm run token -- <userId>\` prints a token for that user, signed with the service's \`JWT_SECRET\`.
- **Production**: tokens come from your identity provider (HS256 with \`JWT_SECRET\`, or RS256/ES256 checked against \`JWT_PUBLIC_KEY\`).

Click **Authorize**, paste the token (without \`Bearer \`), then *Try it out*. The admin route needs a token whose \`roles\` claim holds \`"admin"\`.

### Conventions
- Every error is one JSON envelope \`{ statusCode, error, message, requestId }\`. \`requestId\` is also the \`X-Request-Id\` response header (sent on every response, event streams included) and is on every log line of the request.
- Bodies are JSON only (\`Content-Type: application/json\`, else 415). Unknown body fields are refused with 400; **unknown query parameters are ignored**.
- A known path called with a method it does not serve answers 405 with an \`Allow\` header.
- \`/metrics\` is outside \`/api\` and never takes a user token: see its operation.`;

/**
 * Every JSON body goes through the ValidationPipe with forbidNonWhitelisted,
 * so unknown fields are refused: the schemas of request bodies (and the
 * objects nested in them) say so with `additionalProperties: false`.
 */
export function declareStrictRequestBodies(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') {
      const name = ref.split('/').pop() ?? '';
      if (seen.has(name) || !(name in schemas)) return;
      seen.add(name);
      const schema = schemas[name] as Record<string, unknown>;
      if (schema.type === 'object' || 'properties' in schema)
        schema.additionalProperties = false;
      visit(schema);
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  for (const path of Object.values(document.paths))
    for (const operation of Object.values(path))
      visit((operation as { requestBody?: unknown }).requestBody);
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Relance WhatsApp sessions')
    .setDescription(DESCRIPTION)
    .setVersion('1.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'A user JWT (`sub` = user id); `npm run token -- <userId>` in development',
    })
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'METRICS_TOKEN, for /metrics only (not a user JWT). Needed only when METRICS_TOKEN is set; loopback callers, or the addresses in METRICS_ALLOWED_IPS, may be served without it.',
      },
      METRICS_SECURITY_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: operationIdOf,
  });
  declareStrictRequestBodies(document);
  return document;
}
