import { registerAs } from '@nestjs/config';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Min,
  MinLength,
} from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

export class DatabaseEnv {
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\//, {
    message: 'MONGODB_URI must start with mongodb:// or mongodb+srv://',
  })
  MONGODB_URI?: string;

  @IsString()
  @MinLength(1)
  EMBEDDED_MONGO_DIR: string = './data/mongo';

  @IsString()
  @MinLength(1)
  EMBEDDED_FERRETDB_DIR: string = './data/ferretdb';

  @IsString()
  @MinLength(1)
  FERRETDB_RUNNER_CACHE_DIR: string = './data/ferretdb-runner';

  @ToInteger()
  @IsInt()
  @Min(100)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: number = 5000;

  // Unset: keep retrying until the database answers (compose-style start order).
  @IsOptional()
  @ToInteger()
  @IsInt({ message: 'MONGODB_CONNECT_TIMEOUT_MS must be an integer' })
  @Min(100, { message: 'MONGODB_CONNECT_TIMEOUT_MS must be at least 100' })
  MONGODB_CONNECT_TIMEOUT_MS?: number;
}

/** The database name when MONGODB_URI (or the embedded database's URI) names none. */
export const DEFAULT_DATABASE_NAME = 'relance';

export function loadDatabaseConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(DatabaseEnv, env);
  return {
    uri: parsed.MONGODB_URI,
    embeddedMongoDir: parsed.EMBEDDED_MONGO_DIR,
    embeddedFerretDbDir: parsed.EMBEDDED_FERRETDB_DIR,
    ferretDbRunnerCacheDir: parsed.FERRETDB_RUNNER_CACHE_DIR,
    serverSelectionTimeoutMs: parsed.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
    connectTimeoutMs: parsed.MONGODB_CONNECT_TIMEOUT_MS,
  };
}

export const databaseConfig = registerAs('database', () =>
  loadDatabaseConfig(process.env),
);

export type DatabaseConfig = ReturnType<typeof loadDatabaseConfig>;
