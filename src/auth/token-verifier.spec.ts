import { UnauthorizedException } from '@nestjs/common';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { TokenVerifier } from './token-verifier';

const SECRET = 'unit-secret-that-is-long-enough-012345';

type AuthSettings = ConstructorParameters<typeof TokenVerifier>[0];

function verifierWith(overrides: Partial<AuthSettings> = {}): TokenVerifier {
  const verifier = new TokenVerifier({
    jwtSecret: SECRET,
    jwtPublicKey: undefined,
    issuer: undefined,
    audience: undefined,
    clockToleranceSeconds: 30,
    ...overrides,
  });
  verifier.onModuleInit();
  return verifier;
}

function hs256(sub: string | undefined): SignJWT {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt();
  if (sub !== undefined) jwt.setSubject(sub);
  return jwt;
}

const sign = (jwt: SignJWT, secret = SECRET) =>
  jwt.sign(new TextEncoder().encode(secret));

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UnauthorizedException);
    return (error as UnauthorizedException).message;
  }
  throw new Error('expected the token to be refused');
}

describe('TokenVerifier', () => {
  it('accepts a valid HS256 token and reads the user id and roles', async () => {
    const token = await sign(hs256('user_1').setExpirationTime('1h'));
    await expect(verifierWith().verify(token)).resolves.toEqual({
      userId: 'user_1',
      roles: [],
    });

    const admin = await sign(
      new SignJWT({ roles: ['admin', 7] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('ops'),
    );
    await expect(verifierWith().verify(admin)).resolves.toEqual({
      userId: 'ops',
      roles: ['admin'],
    });
  });

  it('refuses an expired token beyond the clock-skew allowance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(hs256('u1').setExpirationTime(now - 120));
    expect(await rejectionOf(verifierWith().verify(token))).toBe(
      'Token expired',
    );
  });

  it('accepts a token that expired within the clock-skew allowance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await sign(hs256('u1').setExpirationTime(now - 10));
    await expect(verifierWith().verify(token)).resolves.toMatchObject({
      userId: 'u1',
    });
  });

  describe('remembering verified tokens', () => {
    const start = Date.UTC(2026, 10, 29, 12, 0, 0);
    const at = (ms: number) => Math.floor(ms / 1000);

    beforeEach(() => {
      jest.useFakeTimers({ now: start });
    });

    afterEach(() => {
      jest.useRealTimers();
      jest.restoreAllMocks();
    });

    it('checks the signature of a token once, however often it is presented', async () => {
      const verifySignature = jest.spyOn(crypto.subtle, 'verify');
      const verifier = verifierWith();
      const token = await sign(hs256('u1').setExpirationTime(at(start) + 3600));
      const other = await sign(hs256('u2').setExpirationTime(at(start) + 3600));

      for (let i = 0; i < 3; i += 1) {
        await expect(verifier.verify(token)).resolves.toEqual({
          userId: 'u1',
          roles: [],
        });
      }
      await expect(verifier.verify(other)).resolves.toMatchObject({
        userId: 'u2',
      });
      expect(verifySignature).toHaveBeenCalledTimes(2);
    });

    it('refuses a remembered token once it expired beyond the clock-skew allowance', async () => {
      const verifier = verifierWith({ clockToleranceSeconds: 30 });
      const token = await sign(hs256('u1').setExpirationTime(at(start) + 60));
      await verifier.verify(token);

      jest.setSystemTime(start + 60_000 + 31_000);
      expect(await rejectionOf(verifier.verify(token))).toBe('Token expired');
    });

    it('never remembers a refusal: a token used before its nbf is accepted once it is valid', async () => {
      const verifier = verifierWith({ clockToleranceSeconds: 0 });
      const token = await sign(
        hs256('u1')
          .setNotBefore(at(start) + 60)
          .setExpirationTime(at(start) + 3600),
      );
      expect(await rejectionOf(verifier.verify(token))).toBe(
        'Token claim "nbf" is not accepted',
      );

      jest.setSystemTime(start + 61_000);
      await expect(verifier.verify(token)).resolves.toMatchObject({
        userId: 'u1',
      });
    });
  });

  it('refuses a token signed with another secret', async () => {
    const token = await sign(
      hs256('u1'),
      'another-secret-that-is-long-enough-99',
    );
    expect(await rejectionOf(verifierWith().verify(token))).toBe(
      'Token signature is invalid',
    );
  });

  it('refuses an unsigned (alg none) token', async () => {
    const token = new UnsecuredJWT({}).setSubject('u1').encode();
    expect(await rejectionOf(verifierWith().verify(token))).toMatch(
      /algorithm|malformed/,
    );
  });

  it('refuses HS384 although the secret would verify it', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS384' })
      .setSubject('u1')
      .sign(new TextEncoder().encode(SECRET));
    expect(await rejectionOf(verifierWith().verify(token))).toBe(
      'Token algorithm is not accepted',
    );
  });

  it.each(['', '../etc', 'a/b', 'é', 'x'.repeat(65), 'a b'])(
    'refuses the subject %j',
    async (sub) => {
      const token = await sign(hs256(sub));
      expect(await rejectionOf(verifierWith().verify(token))).toMatch(
        /subject/,
      );
    },
  );

  it('refuses a token without a subject', async () => {
    const token = await sign(hs256(undefined));
    expect(await rejectionOf(verifierWith().verify(token))).toMatch(/subject/);
  });

  it('refuses garbage', async () => {
    expect(await rejectionOf(verifierWith().verify('not.a.jwt'))).toBe(
      'Token is malformed',
    );
  });

  it('checks issuer and audience when configured', async () => {
    const verifier = verifierWith({
      issuer: 'https://id.example',
      audience: 'relance',
    });
    const good = await sign(
      hs256('u1').setIssuer('https://id.example').setAudience('relance'),
    );
    await expect(verifier.verify(good)).resolves.toMatchObject({
      userId: 'u1',
    });
    const wrongIssuer = await sign(
      hs256('u1').setIssuer('https://evil.example').setAudience('relance'),
    );
    expect(await rejectionOf(verifier.verify(wrongIssuer))).toMatch(/"iss"/);
    const wrongAudience = await sign(
      hs256('u1').setIssuer('https://id.example').setAudience('other'),
    );
    expect(await rejectionOf(verifier.verify(wrongAudience))).toMatch(/"aud"/);
  });

  describe.each(['RS256', 'ES256'] as const)('with a %s public key', (alg) => {
    it('accepts tokens signed by the private key and nothing else', async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, {
        extractable: true,
      });
      const pem = await exportSPKI(publicKey);
      const verifier = verifierWith({
        jwtSecret: undefined,
        jwtPublicKey: pem,
      });

      const good = await new SignJWT({})
        .setProtectedHeader({ alg })
        .setSubject('u1')
        .sign(privateKey);
      await expect(verifier.verify(good)).resolves.toMatchObject({
        userId: 'u1',
      });

      // HS/RS confusion: an HS256 token "signed" with the public key text.
      const confused = await sign(hs256('u1'), pem);
      expect(await rejectionOf(verifier.verify(confused))).toBe(
        'Token algorithm is not accepted',
      );

      const hsWithSecret = await sign(hs256('u1'));
      expect(await rejectionOf(verifier.verify(hsWithSecret))).toBe(
        'Token algorithm is not accepted',
      );
    });
  });
});
