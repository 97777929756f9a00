/**
 * `npm run sessions:import`: copies every user's session files from
 * WHATSAPP_SESSIONS_DIR into MongoDB (MONGODB_URI), for a switch to
 * WHATSAPP_AUTH_STORE=mongodb. Safe to run again; run it while the service
 * is stopped, so no socket writes the files meanwhile.
 */
import { NestFactory } from '@nestjs/core';
import { SessionImportModule } from './relance/credentials/session-import.module';
import { DatabaseConnection } from './database/database-connection';
import { SessionImporter } from './relance/credentials/session-import';

async function main(): Promise<number> {
  const app = await NestFactory.createApplicationContext(SessionImportModule, {
    logger: ['error', 'warn'],
  });
  try {
    // The connection opens in the background (DatabaseConnection): wait for it, or its failure.
    await app.get(DatabaseConnection).untilConnected();
    const summary = await app.get(SessionImporter).importAll();
    console.log(
      `sessions:import: ${summary.imported.length} imported, ${summary.alreadyInMongo.length} already in MongoDB, ${summary.failed.length} failed`,
    );
    for (const userId of summary.failed) console.log(`  failed: ${userId}`);
    return summary.failed.length === 0 ? 0 : 1;
  } finally {
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`sessions:import failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
