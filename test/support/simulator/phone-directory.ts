/**
 * The server's record of WhatsApp accounts (a phone, device 0, with its Signal keys) and the companion
 * devices they linked: who is on WhatsApp, who may log in with which noise key, which devices were removed,
 * and the public keys each device published. The single owner of that state.
 */
import { randomInt } from 'node:crypto';
import { Curve, jidDecode, type KeyPair } from '@whiskeysockets/baileys';
import type { CompanionKeys } from './signal/companion-keys';
import { PhoneSignal } from './signal/phone-signal';
import type { PreKeyBundle } from './signal/prekey-bundle';
import type {
  ContactAddressing,
  LinkedDevice,
  LinkedDeviceState,
  LoginRefusalReason,
  SimUser,
} from './sim-types';

export interface PhoneAccount {
  readonly user: SimUser;
  /** The LID user WhatsApp would assign to this phone; random digits are enough for Baileys. */
  readonly lidUser: string;
  /** The phone's ADV account key: signs every companion device it links. */
  readonly accountKeys: KeyPair;
  /** The phone's own Signal device (device 0): decrypts what is sent to this number, encrypts its replies. */
  readonly phone: PhoneSignal;
  addressing: ContactAddressing;
  pushName: string | undefined;
  nextDeviceId: number;
}

export interface DeviceRecord extends LinkedDeviceState {
  /** Noise static key the companion must present on every login (checked like the real server does). */
  readonly noiseKey: Buffer;
  /** The Signal keys the companion published, so senders can start sessions with it. */
  readonly signal: CompanionKeys;
}

export type LoginVerdict =
  | { readonly device: DeviceRecord }
  | {
      readonly refusal: {
        readonly code: number;
        readonly reason: LoginRefusalReason;
      };
    };

/** A jid resolved to an account and one of its devices (0 is the phone). */
export interface ResolvedDevice {
  readonly account: PhoneAccount;
  readonly device: number;
}

const FIRST_AUTO_PHONE = 33600000001;

export const phoneJidOf = (user: SimUser): string => `${user}@s.whatsapp.net`;
export const lidJidOf = (account: PhoneAccount): string =>
  `${account.lidUser}@lid`;

export class PhoneDirectory {
  private readonly accounts = new Map<SimUser, PhoneAccount>();
  private readonly accountsByLid = new Map<string, PhoneAccount>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly removedDevices = new Set<string>();
  private readonly refusedLogins = new Map<SimUser, number>();
  private nextAutoPhone = FIRST_AUTO_PHONE;

  /** The account of `user`, created on first use: from then on the number is on WhatsApp. */
  accountFor(user: SimUser): PhoneAccount {
    let account = this.accounts.get(user);
    if (!account) {
      account = {
        user,
        lidUser: randomInt(10 ** 13, 10 ** 14).toString(),
        accountKeys: Curve.generateKeyPair(),
        phone: new PhoneSignal(),
        addressing: 'pn',
        pushName: undefined,
        nextDeviceId: 1,
      };
      this.accounts.set(user, account);
      this.accountsByLid.set(account.lidUser, account);
    }
    return account;
  }

  find(user: SimUser): PhoneAccount | undefined {
    return this.accounts.get(user);
  }

  /** "336…@s.whatsapp.net", "336…:2@s.whatsapp.net", "<lid>@lid" or "<lid>:2@lid" -> account and device. */
  resolve(jid: string | undefined): ResolvedDevice | undefined {
    const decoded = jidDecode(jid);
    if (!decoded) return undefined;
    const account =
      decoded.server === 'lid'
        ? this.accountsByLid.get(decoded.user)
        : decoded.server === 's.whatsapp.net'
          ? this.accounts.get(decoded.user)
          : undefined;
    return account ? { account, device: decoded.device ?? 0 } : undefined;
  }

  /** A phone number no account uses yet. */
  assignPhone(): SimUser {
    while (this.accounts.has(String(this.nextAutoPhone))) this.nextAutoPhone++;
    return String(this.nextAutoPhone++);
  }

  /** Reserves the next device slot of `account` (the phone itself is device 0). */
  newDevice(account: PhoneAccount): LinkedDevice {
    const deviceId = account.nextDeviceId++;
    return {
      user: account.user,
      deviceId,
      jid: `${account.user}:${deviceId}@s.whatsapp.net`,
      lid: `${account.lidUser}:${deviceId}@lid`,
    };
  }

  link(
    device: LinkedDevice,
    noiseKey: Buffer,
    preKeysOnServer: number,
    signal: CompanionKeys,
  ): void {
    this.devices.set(device.jid, {
      ...device,
      noiseKey,
      preKeysOnServer,
      signal,
    });
  }

  remove(jid: string): void {
    this.devices.delete(jid);
    this.removedDevices.add(jid);
  }

  /** Linked (and not removed) companion devices of `user`. */
  companionsOf(user: SimUser): DeviceRecord[] {
    return [...this.devices.values()].filter((d) => d.user === user);
  }

  companion(user: SimUser, deviceId: number): DeviceRecord | undefined {
    return this.devices.get(`${user}:${deviceId}@s.whatsapp.net`);
  }

  /** What the server hands a sender to start a session with that device; undefined for unknown devices. */
  takeBundle(target: ResolvedDevice): PreKeyBundle | undefined {
    if (target.device === 0) return target.account.phone.takeBundle();
    const companion = this.companion(target.account.user, target.device);
    if (!companion) return undefined;
    const bundle = companion.signal.takeBundle();
    if (bundle.preKey && companion.preKeysOnServer > 0)
      companion.preKeysOnServer -= 1;
    return bundle;
  }

  refuseLogins(user: SimUser, code: number): void {
    this.refusedLogins.set(user, code);
  }

  acceptLogins(user: SimUser): void {
    this.refusedLogins.delete(user);
  }

  /** On-demand refusals win; otherwise the device must be linked and present the noise key it paired with. */
  judgeLogin(
    user: SimUser,
    jid: string,
    noiseKey: Buffer | undefined,
  ): LoginVerdict {
    const onDemand = this.refusedLogins.get(user);
    if (onDemand !== undefined)
      return { refusal: { code: onDemand, reason: 'rejected-on-demand' } };
    const device = this.devices.get(jid);
    if (!device) {
      const reason = this.removedDevices.has(jid)
        ? 'device-removed'
        : 'unknown-device';
      return { refusal: { code: 401, reason } };
    }
    if (!noiseKey?.equals(device.noiseKey)) {
      return { refusal: { code: 401, reason: 'noise-key-mismatch' } };
    }
    return { device };
  }

  /** Devices currently linked (paired and not removed), with what the server holds for them. */
  linkedDevices(user?: SimUser): LinkedDeviceState[] {
    return [...this.devices.values()]
      .filter((device) => user === undefined || device.user === user)
      .map(({ user: owner, deviceId, jid, lid, preKeysOnServer }) => ({
        user: owner,
        deviceId,
        jid,
        lid,
        preKeysOnServer,
      }));
  }
}
