/**
 * The server's record of WhatsApp accounts (phones) and the companion devices they linked: who may log in,
 * with which noise key, and which devices were removed. The single owner of that state.
 */
import { randomInt } from 'node:crypto';
import { Curve, type KeyPair } from '@whiskeysockets/baileys';
import type {
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
  nextDeviceId: number;
}

export interface DeviceRecord extends LinkedDeviceState {
  /** Noise static key the companion must present on every login (checked like the real server does). */
  readonly noiseKey: Buffer;
}

export type LoginVerdict =
  | { readonly device: DeviceRecord }
  | {
      readonly refusal: {
        readonly code: number;
        readonly reason: LoginRefusalReason;
      };
    };

const FIRST_AUTO_PHONE = 33600000001;

export class PhoneDirectory {
  private readonly accounts = new Map<SimUser, PhoneAccount>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly removedDevices = new Set<string>();
  private readonly refusedLogins = new Map<SimUser, number>();
  private nextAutoPhone = FIRST_AUTO_PHONE;

  /** The account of `user`, created on first use. */
  accountFor(user: SimUser): PhoneAccount {
    let account = this.accounts.get(user);
    if (!account) {
      account = {
        user,
        lidUser: randomInt(10 ** 13, 10 ** 14).toString(),
        accountKeys: Curve.generateKeyPair(),
        nextDeviceId: 1,
      };
      this.accounts.set(user, account);
    }
    return account;
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

  link(device: LinkedDevice, noiseKey: Buffer, preKeysOnServer: number): void {
    this.devices.set(device.jid, { ...device, noiseKey, preKeysOnServer });
  }

  remove(jid: string): void {
    this.devices.delete(jid);
    this.removedDevices.add(jid);
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
