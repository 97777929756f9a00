import {
  Inject,
  Injectable,
  OnModuleInit,
  UnauthorizedException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createPublicKey, KeyObject } from 'node:crypto';
import { errors, jwtVerify, JWTPayload } from 'jose';
import { authConfig } from '../config/auth.config';
import { AuthenticatedUser, USER_ID_PATTERN } from './authenticated-user';
import { VerifiedTokenCache } from './verified-token-cache';

interface VerificationKey {
  key: KeyObject | Uint8Array;
  algorithms: string[];
}

function asymmetricAlgorithmFor(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'ec':
      return 'ES256';
    default:
      throw new Error(
        `JWT_PUBLIC_KEY must be an RSA or P-256 EC key, got ${key.asymmetricKeyType}`,
      );
  }
}

function readRoles(payload: JWTPayload): string[] {
  const roles = payload['roles'];
  return Array.isArray(roles)
    ? roles.filter((role): role is string => typeof role === 'string')
    : [];
}

function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'Token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `Token claim "${error.claim}" is not accepted`;
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'Token algorithm is not accepted';
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return 'Token signature is invalid';
  return 'Token is malformed';
}

/**
 * Verifies bearer tokens with a pinned algorithm: HS256 with JWT_SECRET, or
 * RS256/ES256 when JWT_PUBLIC_KEY is set. Only one family is ever accepted, so
 * an HS256 token signed with the public key as a secret is refused.
 */
@Injectable()
export class TokenVerifier implements OnModuleInit {
  private verification: VerificationKey;
  private readonly verified = new VerifiedTokenCache();

  constructor(
    @Inject(authConfig.KEY)
    private readonly config: ConfigType<typeof authConfig>,
  ) {}

  onModuleInit(): void {
    this.verification = this.buildVerificationKey();
  }

  /** Verified once per token: a success is remembered until the token's `exp` (see VerifiedTokenCache). */
  async verify(token: string): Promise<AuthenticatedUser> {
    const cached = this.verified.get(token);
    if (cached) return cached;
    const { user, exp } = await this.verifyNow(token);
    this.verified.set(token, user, exp);
    return user;
  }

  private async verifyNow(
    token: string,
  ): Promise<{ user: AuthenticatedUser; exp: number | undefined }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.verification.key, {
        algorithms: this.verification.algorithms,
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceSeconds,
      }));
    } catch (error) {
      throw new UnauthorizedException(describeFailure(error));
    }
    if (typeof payload.sub !== 'string' || !USER_ID_PATTERN.test(payload.sub)) {
      throw new UnauthorizedException(
        'Token subject must match ^[A-Za-z0-9_-]{1,64}$',
      );
    }
    return {
      user: { userId: payload.sub, roles: readRoles(payload) },
      exp: payload.exp,
    };
  }

  private buildVerificationKey(): VerificationKey {
    if (this.config.jwtPublicKey) {
      const key = createPublicKey(this.config.jwtPublicKey);
      return { key, algorithms: [asymmetricAlgorithmFor(key)] };
    }
    if (!this.config.jwtSecret) {
      throw new Error('JWT_SECRET or JWT_PUBLIC_KEY must be set');
    }
    return {
      key: new TextEncoder().encode(this.config.jwtSecret),
      algorithms: ['HS256'],
    };
  }
}
