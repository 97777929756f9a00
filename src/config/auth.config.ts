import { registerAs } from '@nestjs/config';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { PLACEHOLDER_JWT_SECRET } from './dev-jwt-secret';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

const MIN_SECRET_LENGTH = 32;

/** One message per problem: a missing secret is not also reported as too short. */
function IsLongEnoughSecret(): PropertyDecorator {
  return ValidateBy({
    name: 'isLongEnoughSecret',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && value.length >= MIN_SECRET_LENGTH,
      defaultMessage: (args) =>
        typeof args?.value === 'string'
          ? `JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`
          : `JWT_SECRET is required (at least ${MIN_SECRET_LENGTH} characters)`,
    },
  });
}

/** In production the example secret from .env.example would let anyone forge tokens. */
function IsNotThePlaceholderInProduction(): PropertyDecorator {
  return ValidateBy({
    name: 'isNotThePlaceholderInProduction',
    validator: {
      validate: (value: unknown, args) =>
        (args?.object as { NODE_ENV?: string }).NODE_ENV !== 'production' ||
        value !== PLACEHOLDER_JWT_SECRET,
      defaultMessage: () =>
        'JWT_SECRET is the placeholder from .env.example: set a random secret of at least 32 characters (e.g. `openssl rand -base64 48`)',
    },
  });
}

export class AuthEnv {
  @IsOptional()
  @Matches(/-----BEGIN PUBLIC KEY-----/, {
    message: 'JWT_PUBLIC_KEY must be a PEM public key (BEGIN PUBLIC KEY)',
  })
  JWT_PUBLIC_KEY?: string;

  // Required for HS256, the default; optional once a public key selects RS256/ES256.
  @ValidateIf(
    (env: AuthEnv) => !env.JWT_PUBLIC_KEY || env.JWT_SECRET !== undefined,
  )
  @IsLongEnoughSecret()
  @IsNotThePlaceholderInProduction()
  JWT_SECRET?: string;

  @IsOptional()
  @IsString()
  JWT_ISSUER?: string;

  @IsOptional()
  @IsString()
  JWT_AUDIENCE?: string;

  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(300, { message: 'JWT_CLOCK_TOLERANCE_SECONDS must be at most 300' })
  JWT_CLOCK_TOLERANCE_SECONDS: number = 30;
}

export const authConfig = registerAs('auth', () => {
  const env = validated(AuthEnv, process.env);
  return {
    jwtSecret: env.JWT_SECRET,
    jwtPublicKey: env.JWT_PUBLIC_KEY?.replace(/\\n/g, '\n'),
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
  };
});
