import { initAuthCreds, useMultiFileAuthState } from '@whiskeysockets/baileys';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Real Baileys credentials on disk (as after a link), so a socket starts from a stored session. */
export async function plantBaileysCredentials(
  sessionsDir: string,
  userId: string,
): Promise<string> {
  const dir = join(sessionsDir, userId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { state, saveCreds } = await useMultiFileAuthState(dir);
  Object.assign(state.creds, initAuthCreds());
  await saveCreds();
  return dir;
}
