/** Owner-only: new files are 0600 and new folders 0700 unless a mode says otherwise. */
export const OWNER_ONLY_UMASK = 0o077;

/**
 * Baileys' useMultiFileAuthState writes creds.json and every key file with
 * fs.writeFile's default mode (0666 minus the umask), i.e. 0644 under the usual
 * 022 umask: anyone on the host could read the WhatsApp credentials. Setting
 * the umask once at process start covers every file Baileys writes, including
 * the keys it saves long after the session started; FileCredentialStore.authStateFor (SessionFiles.ensureDir)
 * also chmods what is already in a folder when a session starts.
 */
export function restrictNewFilePermissions(): void {
  process.umask(OWNER_ONLY_UMASK);
}
