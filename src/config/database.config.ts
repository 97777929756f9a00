import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

export class DatabaseEnv {
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\//, {
    message: 'MONGODB_URI must start with mongodb:// or mongodb+srv://',
  })
  MONGODB_URI?: string;

  @IsString()
  EMBEDDED_MONGO_DIR: string = './data/mongo';

  @ToInteger()
  @IsInt()
  @Min(100)
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: number = 5000;
}

export const databaseConfig = registerAs('database', () => {
  const env = validated(DatabaseEnv, process.env);
  return {
    uri: env.MONGODB_URI,
    embeddedDir: env.EMBEDDED_MONGO_DIR,
    serverSelectionTimeoutMs: env.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
  };
});
