import type { SignalDataTypeMap } from '@whiskeysockets/baileys';

export type SignalKeyType = keyof SignalDataTypeMap;

/**
 * Every signal key type Baileys stores. `satisfies` makes the build fail when
 * a Baileys upgrade adds one, so the import never silently skips a type.
 */
const KEY_TYPES = {
  'pre-key': true,
  session: true,
  'sender-key': true,
  'sender-key-memory': true,
  'app-state-sync-key': true,
  'app-state-sync-version': true,
  'lid-mapping': true,
  'device-list': true,
  tctoken: true,
  'identity-key': true,
} as const satisfies Record<SignalKeyType, true>;

/** Longest first: `sender-key-memory-x` must not be read as a `sender-key`. */
const TYPES_LONGEST_FIRST = (Object.keys(KEY_TYPES) as SignalKeyType[]).sort(
  (a, b) => b.length - a.length,
);

/**
 * The form a key id is stored under. It is the one Baileys' multi-file store
 * gives its file names (`/` → `__`, `:` → `-`), so that `sessions:import`
 * copies a folder exactly and both stores answer the same ids the same way.
 */
export function storedKeyId(id: string): string {
  return id.replace(/\//g, '__').replace(/:/g, '-');
}

/** The type and stored id of a multi-file key file (`<type>-<id>.json`); undefined for anything else. */
export function parseKeyFileName(
  fileName: string,
): { type: SignalKeyType; keyId: string } | undefined {
  if (!fileName.endsWith('.json')) return undefined;
  const base = fileName.slice(0, -'.json'.length);
  const type = TYPES_LONGEST_FIRST.find((candidate) =>
    base.startsWith(`${candidate}-`),
  );
  if (!type || base.length === type.length + 1) return undefined;
  return { type, keyId: base.slice(type.length + 1) };
}
