/**
 * Linking a companion by code ("Link with phone number instead"), as the edge relays it:
 * 1. the companion's `companion_hello` iq names a phone number and carries its ephemeral key, wrapped with
 *    the code it shows; the edge answers with a pairing ref (the real edge also notifies that phone);
 * 2. the user types the code on the phone (`enterCode`): the phone unwraps the companion's key, and the edge
 *    sends the companion a `primary_hello` notification with the phone's own wrapped ephemeral key;
 * 3. the companion answers with `companion_finish`, its sealed key bundle, which the edge accepts (result);
 * 4. the phone opens the bundle and derives the ADV secret; the EdgeServer then links the device exactly as
 *    after a QR scan (pair-success, pair-device-sign, 515).
 * A wrong code fails where the real one does: the phone cannot open the bundle, says it could not link,
 * and the companion is told nothing. It keeps waiting until its QR refs run out (408), or a retry with the
 * right code links it.
 */
import { randomBytes } from 'node:crypto';
import {
  Curve,
  getBinaryNodeChildBuffer,
  S_WHATSAPP_NET,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { EdgeConnection } from './edge-connection';
import {
  answerWith,
  EMPTY_ANSWER,
  UNKNOWN_IQ_ANSWER,
  type IqAnswer,
} from './iq-answer';
import {
  linkCodeAdvSecret,
  normalizeTypedCode,
  openKeyBundle,
  unwrapEphemeralKey,
  wrapEphemeralKey,
} from './link-code-crypto';
import type { CompanionIdentity } from './pairing';
import type { PhoneAccount } from './phone-directory';
import type { EventLog } from './sim-events';
import { simUserOf, type SimUser } from './sim-types';
import { nowSeconds } from './stanzas';

const STANZA = 'link_code_companion_reg';

interface LinkCodeRequest {
  readonly conn: EdgeConnection;
  readonly user: SimUser;
  readonly ref: string;
  readonly wrappedCompanionKey: Buffer;
  /** Set while the phone waits for the companion's companion_finish. */
  onFinish?: (finish: BinaryNode) => void;
}

/** A companion whose key bundle the phone opened: what the EdgeServer needs to link it. */
export interface CodeLinkedCompanion extends CompanionIdentity {
  readonly conn: EdgeConnection;
}

const childBuffer = (node: BinaryNode, tag: string): Buffer => {
  const content = getBinaryNodeChildBuffer(node, tag);
  if (!content) throw new Error(`<${STANZA}> without <${tag}>`);
  return Buffer.from(content);
};

const primaryHello = (
  id: string,
  ref: string,
  wrappedPrimaryKey: Buffer,
  primaryIdentityKey: Uint8Array,
): BinaryNode => ({
  tag: 'notification',
  attrs: { from: S_WHATSAPP_NET, type: STANZA, id, t: nowSeconds() },
  content: [
    {
      tag: STANZA,
      attrs: { stage: 'primary_hello' },
      content: [
        {
          tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
          attrs: {},
          content: wrappedPrimaryKey,
        },
        { tag: 'primary_identity_pub', attrs: {}, content: primaryIdentityKey },
        { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) },
      ],
    },
  ],
});

export class LinkCodes {
  /** The latest link-code request per phone number. */
  private readonly requests = new Map<SimUser, LinkCodeRequest>();

  constructor(
    private readonly log: EventLog,
    private readonly replyTimeoutMs: number,
  ) {}

  /** undefined when the iq is not part of the link-code exchange. */
  answer(
    conn: EdgeConnection,
    node: BinaryNode,
    child: BinaryNode | undefined,
  ): IqAnswer | undefined {
    if (node.attrs.xmlns !== 'md' || child?.tag !== STANZA) return undefined;
    switch (child.attrs.stage) {
      case 'companion_hello':
        return this.onHello(conn, child);
      case 'companion_finish':
        return this.onFinish(conn, child);
      default:
        return UNKNOWN_IQ_ANSWER;
    }
  }

  /** The user of `account` types `typedCode` on the phone; resolves once the phone opened the key bundle. */
  async enterCode(
    account: PhoneAccount,
    typedCode: string,
  ): Promise<CodeLinkedCompanion> {
    const request = await this.liveRequestFor(account.user);
    const { conn, user } = request;
    const code = normalizeTypedCode(typedCode);
    const companionEphemeral = await unwrapEphemeralKey(
      request.wrappedCompanionKey,
      code,
    );
    const primaryEphemeral = Curve.generateKeyPair();
    const finished = this.finishOf(request);
    await conn.sendNode(
      primaryHello(
        conn.newStanzaId(),
        request.ref,
        await wrapEphemeralKey(primaryEphemeral.public, code),
        account.accountKeys.public,
      ),
    );
    this.log.record({ type: 'link-code-entered', conn: conn.id, user });
    const finish = await finished;
    const shared = Curve.sharedKey(
      primaryEphemeral.private,
      companionEphemeral,
    );
    const bundle = openKeyBundle(
      childBuffer(finish, 'link_code_pairing_wrapped_key_bundle'),
      shared,
    );
    const identityKey = childBuffer(finish, 'companion_identity_public');
    if (
      !bundle ||
      !bundle.companionIdentityKey.equals(identityKey) ||
      !bundle.primaryIdentityKey.equals(account.accountKeys.public)
    ) {
      this.log.record({
        type: 'link-code-refused',
        conn: conn.id,
        user,
        reason: 'wrong-code',
      });
      throw new Error(
        `the phone ${user} could not link the device: the code does not match the one the companion shows`,
      );
    }
    this.requests.delete(user);
    return {
      conn,
      identityKey,
      advSecret: linkCodeAdvSecret(shared, account.accountKeys, bundle),
    };
  }

  private onHello(conn: EdgeConnection, hello: BinaryNode): IqAnswer {
    const user = simUserOf(hello.attrs.jid ?? '');
    if (!user) throw new Error(`<${STANZA}> hello without a phone number`);
    // The companion registers with the noise key it handshook with; the real edge links that key.
    const noiseKey = childBuffer(hello, 'companion_server_auth_key_pub');
    if (!conn.clientNoiseKey?.equals(noiseKey)) {
      throw new Error(
        `link-code hello on conn ${conn.id} names another noise key than the handshake's`,
      );
    }
    const ref = randomBytes(16).toString('base64');
    this.requests.set(user, {
      conn,
      user,
      ref,
      wrappedCompanionKey: childBuffer(
        hello,
        'link_code_pairing_wrapped_companion_ephemeral_pub',
      ),
    });
    this.log.record({ type: 'link-code-requested', conn: conn.id, user, ref });
    return answerWith({
      tag: STANZA,
      attrs: {},
      content: [
        { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) },
      ],
    });
  }

  /** The edge accepts every finish; whether it links is the phone's call (see enterCode). */
  private onFinish(conn: EdgeConnection, finish: BinaryNode): IqAnswer {
    const ref = childBuffer(finish, 'link_code_pairing_ref').toString();
    const request = [...this.requests.values()].find(
      (r) => r.conn === conn && r.ref === ref,
    );
    request?.onFinish?.(finish);
    return EMPTY_ANSWER;
  }

  private finishOf(request: LinkCodeRequest): Promise<BinaryNode> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        request.onFinish = undefined;
        reject(
          new Error(
            `no companion_finish on conn ${request.conn.id} within ${this.replyTimeoutMs} ms`,
          ),
        );
      }, this.replyTimeoutMs);
      request.onFinish = (finish) => {
        clearTimeout(timer);
        request.onFinish = undefined;
        resolve(finish);
      };
    });
  }

  /** The phone's pending request from a live companion, waiting up to replyTimeoutMs for its hello. */
  private async liveRequestFor(user: SimUser): Promise<LinkCodeRequest> {
    const live = (): LinkCodeRequest | undefined => {
      const request = this.requests.get(user);
      return request?.conn.isOpen ? request : undefined;
    };
    try {
      await this.log.waitFor(
        (event) =>
          event.type === 'link-code-requested' &&
          event.user === user &&
          live() !== undefined,
        this.replyTimeoutMs,
      );
    } catch (error) {
      throw new Error(`no live companion asked for a link code for ${user}`, {
        cause: error,
      });
    }
    const request = live();
    if (!request) throw new Error(`the companion asking ${user} went away`);
    return request;
  }
}
