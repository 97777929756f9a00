import { registerAs } from '@nestjs/config';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

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
  @IsString({ message: 'JWT_SECRET is required (at least 32 characters)' })
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
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
