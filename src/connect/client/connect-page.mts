import {
  ApiClient,
  ApiError,
  InvalidInputError,
  RateLimitedError,
  UnauthorizedError,
  type PairingAnswer,
  type PairingCode,
  type QrAnswer,
  type QrCode,
  type StatusChange,
  type StatusSnapshot,
} from './api.mjs';
import { LiveStream } from './live-stream.mjs';
import { PageView, type Action } from './page-view.mjs';
import {
  asConnected,
  fromSnapshot,
  withDetails,
  withPairing,
  withQr,
  withStatusChange,
  type SessionState,
} from './session-state.mjs';
import type { SseMessage } from './sse-parser.mjs';
import { TokenStore, tabStorage } from './token-store.mjs';
import { loadingView, phoneView, tokenView, viewFor } from './views.mjs';

const DEFAULT_HEARTBEAT_MS = 15_000;

/** What one signed-in visit holds: the token's client and its live stream. */
interface Visit {
  readonly api: ApiClient;
  readonly stream: LiveStream;
  /** The stream delivered its snapshot and has not failed since. */
  live: boolean;
  /** The first snapshot came: the page may link on its own once. */
  started: boolean;
}

function seconds(value: number): string {
  return value === 1 ? '1 second' : `${value} seconds`;
}

/**
 * The page's behaviour: the token, the live stream (with GET /status when the
 * stream is down), the session state it folds, and the user's commands.
 * What is shown is always viewFor(state), or the token or loading view.
 */
class ConnectPage {
  private visit?: Visit;
  private state?: SessionState;
  private busy = false;
  /**
   * The number field is on screen (the user chose to link by phone number),
   * with the reason the last number was refused; it gives way to a code or
   * a connection.
   */
  private phoneEntry?: { error?: string };
  /** The number the last code was asked for: "Get a new code" reuses it (kept in memory only). */
  private phoneNumber?: string;

  constructor(
    private readonly view: PageView,
    private readonly tokens: TokenStore,
    private readonly base: string,
    private readonly idleTimeoutMs: number,
  ) {}

  start(): void {
    this.view.onAction((action) => void this.run(action));
    this.view.onPhone(
      (phoneNumber) => void this.run('request-code', phoneNumber),
    );
    this.view.onToken((token) => {
      this.tokens.save(token);
      this.signIn(token);
    });
    window.addEventListener('pagehide', () => this.visit?.stream.stop());
    const token = this.tokens.take();
    if (token === undefined) this.view.show(tokenView());
    else this.signIn(token);
  }

  private signIn(token: string): void {
    this.visit?.stream.stop();
    this.state = undefined;
    this.phoneEntry = undefined;
    const api = new ApiClient(this.base, token);
    const stream = new LiveStream(
      api,
      {
        onMessage: (message) => this.onMessage(message),
        onUnauthorized: () => this.signOut('refused'),
        onLost: (retryInMs) => void this.onStreamLost(retryInMs),
      },
      this.idleTimeoutMs,
    );
    this.visit = { api, stream, live: false, started: false };
    this.view.showNotice(undefined);
    this.view.show(loadingView());
    stream.start();
  }

  /** Back to the token field: the API refused the token, or the user wants to use another. */
  private signOut(why: 'refused' | 'user'): void {
    this.visit?.stream.stop();
    this.visit = undefined;
    this.state = undefined;
    this.phoneEntry = undefined;
    this.tokens.forget();
    this.view.showNotice(undefined);
    this.view.show(
      tokenView(
        why === 'refused'
          ? 'This access token is invalid or has expired. Paste a new one.'
          : undefined,
      ),
    );
  }

  private onMessage(message: SseMessage): void {
    const visit = this.visit;
    if (!visit) return;
    switch (message.event) {
      case 'snapshot': {
        visit.live = true;
        this.view.showNotice(undefined);
        this.update(
          fromSnapshot(JSON.parse(message.data) as StatusSnapshot, this.state),
        );
        if (!visit.started) {
          visit.started = true;
          this.linkOnArrival();
        }
        return;
      }
      case 'status': {
        if (!this.state) return;
        const change = JSON.parse(message.data) as StatusChange;
        this.update(withStatusChange(this.state, change));
        // The event has the status; the link date and stored-session flag come from GET /status.
        if (
          change.status === 'connected' ||
          (change.status === 'disconnected' && !change.nextReconnectAt)
        ) {
          void this.refreshDetails();
        }
        return;
      }
      case 'qr': {
        if (this.state)
          this.update(withQr(this.state, JSON.parse(message.data) as QrCode));
        return;
      }
      case 'pairing': {
        if (this.state)
          this.update(
            withPairing(this.state, JSON.parse(message.data) as PairingCode),
          );
        return;
      }
      default:
        // heartbeat: its arrival is all that matters (LiveStream watches for silence).
        return;
    }
  }

  /**
   * The page exists to link WhatsApp: with nothing linked it asks for a QR
   * at once, and a QR being awaited (e.g. after a reload) is fetched again
   * rather than waiting for the next one.
   */
  private linkOnArrival(): void {
    const state = this.state;
    if (!state) return;
    const notLinked =
      state.status === 'disconnected' &&
      !state.sessionStored &&
      !state.nextReconnectAt;
    const qrMissing = state.status === 'awaiting_qr' && !state.qrImage;
    if (notLinked || qrMissing) void this.run('link');
  }

  private async onStreamLost(retryInMs: number): Promise<void> {
    const visit = this.visit;
    if (!visit) return;
    visit.live = false;
    const wait = seconds(Math.max(1, Math.round(retryInMs / 1000)));
    try {
      // GET /status keeps the page right while the stream is down.
      const snapshot = await visit.api.status();
      if (this.visit !== visit) return;
      this.update(fromSnapshot(snapshot, this.state));
      this.view.showNotice(
        `Live updates were interrupted. Reconnecting in ${wait}…`,
      );
    } catch (error) {
      if (this.visit !== visit) return;
      if (error instanceof UnauthorizedError) {
        this.signOut('refused');
        return;
      }
      this.view.showNotice(
        `The service cannot be reached right now. Trying again in ${wait}…`,
      );
    }
  }

  private async refreshDetails(): Promise<void> {
    const visit = this.visit;
    if (!visit) return;
    try {
      const snapshot = await visit.api.status();
      if (this.visit !== visit || !this.state) return;
      // While the stream is down this snapshot is the freshest status there is.
      this.update(
        visit.live
          ? withDetails(this.state, snapshot)
          : fromSnapshot(snapshot, this.state),
      );
    } catch (error) {
      this.reportFailure(error);
    }
  }

  private update(state: SessionState): void {
    this.state = state;
    // A code to type or a connection is what the number was for.
    if (state.status === 'awaiting_pairing' || state.status === 'connected')
      this.phoneEntry = undefined;
    this.view.show(
      this.phoneEntry ? phoneView(this.phoneEntry.error) : viewFor(state),
    );
  }

  private showPhoneEntry(error?: string): void {
    this.phoneEntry = { error };
    this.view.show(phoneView(error));
  }

  private async run(action: Action, phoneNumber?: string): Promise<void> {
    if (action === 'forget-token') {
      this.signOut('user');
      return;
    }
    const visit = this.visit;
    if (!visit || this.busy) return;
    if (action === 'use-phone') {
      this.showPhoneEntry();
      return;
    }
    const number = phoneNumber ?? this.phoneNumber;
    if (action === 'request-code' && number === undefined) {
      this.showPhoneEntry();
      return;
    }
    if (action === 'reset' && !(await this.view.confirmReset())) return;
    this.busy = true;
    this.view.setBusy(true);
    try {
      if (action === 'link' || action === 'use-qr') {
        this.phoneEntry = undefined;
        await this.link(visit.api);
      } else if (action === 'request-code' && number !== undefined)
        await this.requestCode(visit.api, number);
      else await visit.api.disconnect(action === 'reset');
      // Done: an old error no longer applies (a lost stream's notice stays until it is back).
      if (this.visit === visit && visit.live) this.view.showNotice(undefined);
      // The stream reports what the command changed; without it, ask.
      if (!visit.live) await this.refreshDetails();
    } catch (error) {
      this.reportFailure(error);
    } finally {
      this.busy = false;
      this.view.setBusy(false);
    }
  }

  private async link(api: ApiClient): Promise<void> {
    const before = this.state;
    let waiting: SessionState | undefined;
    if (before && before.status !== 'awaiting_qr') {
      // GET /qr may wait (up to WHATSAPP_QR_WAIT_MS): show what is coming, a
      // reconnect with the stored session or a QR code to scan.
      waiting = withStatusChange(before, {
        status: before.sessionStored ? 'connecting' : 'awaiting_qr',
      });
      this.update(waiting);
    }
    let answer: QrAnswer;
    try {
      answer = await api.requestQr();
    } catch (error) {
      // Refused (e.g. 429): unless the stream moved on meanwhile, show what was there before.
      if (waiting && before && this.state === waiting) this.update(before);
      throw error;
    }
    if (!this.state) return;
    if (answer.status === 'awaiting_qr')
      this.update(withQr(this.state, answer));
    else if (answer.status === 'connected') {
      this.update(asConnected(this.state));
      await this.refreshDetails();
    }
    // 202 (connecting, or the attempt ended): the stream's status events say which.
  }

  /**
   * POST /pairing-code may wait (up to WHATSAPP_QR_WAIT_MS) for WhatsApp's
   * code: meanwhile the page says it is asking. A refused number goes back to
   * the field with the server's explanation of the expected form.
   */
  private async requestCode(
    api: ApiClient,
    phoneNumber: string,
  ): Promise<void> {
    const before = this.state;
    if (!before) return;
    this.phoneNumber = phoneNumber;
    this.phoneEntry = undefined;
    const waiting: SessionState = {
      ...withStatusChange(before, { status: 'awaiting_pairing' }),
      pairing: undefined,
    };
    this.update(waiting);
    let answer: PairingAnswer;
    try {
      answer = await api.requestPairingCode(phoneNumber);
    } catch (error) {
      if (this.state === waiting) {
        this.state = before;
        if (error instanceof InvalidInputError) {
          this.showPhoneEntry(error.firstMessage);
          return;
        }
        this.showPhoneEntry();
      }
      throw error;
    }
    if (!this.state) return;
    if (answer.status === 'awaiting_pairing')
      this.update(withPairing(this.state, answer));
    else if (answer.status === 'connected') {
      this.update(asConnected(this.state));
      await this.refreshDetails();
    } else if (answer.status === 'disconnected' && this.state === waiting) {
      // The attempt ended without a code: the field stays, to try again.
      this.state = withStatusChange(before, { status: 'disconnected' });
      this.showPhoneEntry(
        'WhatsApp did not give a code this time. Check the number and try again.',
      );
    }
    // 202 connecting: the stream's `pairing` event brings the code.
  }

  private reportFailure(error: unknown): void {
    if (error instanceof UnauthorizedError) {
      this.signOut('refused');
      return;
    }
    if (error instanceof RateLimitedError) {
      const wait = error.retryAfterSeconds;
      this.view.showNotice(
        wait === undefined
          ? 'Too many requests. Wait a minute, then try again.'
          : `Too many requests. Wait ${seconds(wait)}, then try again.`,
      );
      return;
    }
    if (error instanceof ApiError) {
      this.view.showNotice(
        error.status === 0
          ? 'The service cannot be reached. Check your connection and try again.'
          : `Something went wrong (${error.status}): ${error.message}`,
      );
      return;
    }
    console.error('Unexpected error on the connect page', error);
    this.view.showNotice('Something went wrong. Reload the page to try again.');
  }
}

function heartbeatMs(doc: Document): number {
  const value = Number(
    doc.querySelector<HTMLMetaElement>('meta[name="relance-heartbeat-ms"]')
      ?.content,
  );
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_HEARTBEAT_MS;
}

/** Silence for two heartbeats (plus slack for a slow network) means the stream is dead. */
const idleTimeoutMs = 2 * heartbeatMs(document) + 5_000;

new ConnectPage(
  new PageView(document),
  new TokenStore(window.location, window.history, tabStorage(window)),
  document.baseURI,
  idleTimeoutMs,
).start();
