import type { StopReason } from './api.mjs';
import type { SessionState } from './session-state.mjs';

/** How the header's badge colours a state. */
export type Tone = 'ok' | 'busy' | 'warn' | 'off' | 'error';

interface ViewBase {
  /** The state in one sentence: the page's heading, announced by the live region. */
  title: string;
  detail: string;
  badge: { tone: Tone; label: string };
}

/**
 * Everything the page can show, one kind per section of connect.html. A new
 * way to link (e.g. a pairing code) is a new kind here, a section there and a
 * renderer in page-view.mts; the compiler points at each place to fill in.
 */
export type View =
  | (ViewBase & { kind: 'token'; error?: string })
  | (ViewBase & { kind: 'loading' })
  | (ViewBase & { kind: 'qr'; qrImage?: string })
  | (ViewBase & {
      kind: 'phone';
      /** Why the number was refused, shown beside the field. */
      error?: string;
    })
  | (ViewBase & {
      kind: 'pairing';
      /** Undefined while WhatsApp has not given one yet. */
      code?: string;
      expiresAt?: Date;
    })
  | (ViewBase & { kind: 'connecting' })
  | (ViewBase & { kind: 'connected' })
  | (ViewBase & {
      kind: 'stopped';
      /** The label of the main button: link, show a new QR, reconnect, or get a new pairing code. */
      action: string;
      /** What the main button does: GET /qr, or POST /pairing-code again. */
      command: 'link' | 'request-code';
      /** The other way to link, when linking is what is needed. */
      alternative?: { label: string; command: 'use-qr' | 'use-phone' };
      /** Stored credentials exist, so a reset has something to delete. */
      canReset: boolean;
    });

export type ViewKind = View['kind'];
export type ViewOf<K extends ViewKind> = Extract<View, { kind: K }>;

const time = (date: Date): string =>
  date.toLocaleTimeString(undefined, {
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
  });

const dateTime = (date: Date): string =>
  date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function tokenView(error?: string): ViewOf<'token'> {
  return error
    ? {
        kind: 'token',
        error,
        title: 'Your access token was refused',
        detail: 'Paste a valid access token to continue.',
        badge: { tone: 'error', label: 'Token refused' },
      }
    : {
        kind: 'token',
        title: 'Paste your access token',
        detail:
          'The page needs the access token you were given to see and link your WhatsApp account.',
        badge: { tone: 'off', label: 'Token needed' },
      };
}

export function loadingView(): ViewOf<'loading'> {
  return {
    kind: 'loading',
    title: 'Checking your WhatsApp connection…',
    detail: 'This takes a moment.',
    badge: { tone: 'busy', label: 'Checking' },
  };
}

function qrView(state: SessionState): ViewOf<'qr'> {
  return state.qrImage
    ? {
        kind: 'qr',
        qrImage: state.qrImage,
        title: 'Scan the QR code with WhatsApp',
        detail: 'The code refreshes by itself until your phone scans it.',
        badge: { tone: 'busy', label: 'Waiting for scan' },
      }
    : {
        kind: 'qr',
        title: 'Preparing a QR code…',
        detail: 'This takes a few seconds.',
        badge: { tone: 'busy', label: 'Preparing' },
      };
}

/** The number field of "Link with phone number instead". */
export function phoneView(error?: string): ViewOf<'phone'> {
  return {
    kind: 'phone',
    error,
    title: 'Link with your phone number',
    detail:
      'Enter the number of the phone that runs WhatsApp. WhatsApp will show it a notification; you then type a code from this page.',
    badge: error
      ? { tone: 'error', label: 'Check the number' }
      : { tone: 'busy', label: 'Phone number' },
  };
}

function pairingView(state: SessionState): ViewOf<'pairing'> {
  return state.pairing
    ? {
        kind: 'pairing',
        code: state.pairing.code,
        expiresAt: state.pairing.expiresAt,
        title: 'Enter this code on your phone',
        detail: `Type it in WhatsApp on your phone before ${time(state.pairing.expiresAt)}.`,
        badge: { tone: 'busy', label: 'Waiting for code' },
      }
    : {
        kind: 'pairing',
        title: 'Waiting for a pairing code…',
        detail:
          'WhatsApp gives it in a few seconds. A code shown before this page was reloaded still works.',
        badge: { tone: 'busy', label: 'Preparing' },
      };
}

function connectingView(state: SessionState): ViewOf<'connecting'> {
  const next = state.nextReconnectAt
    ? `Next attempt at ${time(state.nextReconnectAt)}.`
    : 'Trying now.';
  if (state.failureCount > 0) {
    return {
      kind: 'connecting',
      title: `Connection issue detected. Retrying... (${state.failureCount}/${state.maxFailures})`,
      detail: `${next} After ${state.maxFailures} failures in a row the session is reset and WhatsApp must be scanned again.`,
      badge: { tone: 'warn', label: 'Retrying' },
    };
  }
  if (state.nextReconnectAt) {
    return {
      kind: 'connecting',
      title: 'Connection lost. Reconnecting…',
      detail: next,
      badge: { tone: 'busy', label: 'Reconnecting' },
    };
  }
  return {
    kind: 'connecting',
    title: 'Connecting to WhatsApp…',
    detail: 'This takes a few seconds.',
    badge: { tone: 'busy', label: 'Connecting' },
  };
}

function connectedView(state: SessionState): ViewOf<'connected'> {
  return {
    kind: 'connected',
    title: 'Connected',
    detail: state.linkedAt
      ? `WhatsApp was linked on ${dateTime(state.linkedAt)}. Follow-up messages can be sent.`
      : 'WhatsApp is linked. Follow-up messages can be sent.',
    badge: { tone: 'ok', label: 'Connected' },
  };
}

type StopText = Omit<ViewOf<'stopped'>, 'kind' | 'canReset' | 'command'> &
  Partial<Pick<ViewOf<'stopped'>, 'command'>>;

const SCAN_AGAIN = 'Show a new QR code';
const BY_PHONE = {
  label: 'Link with phone number instead',
  command: 'use-phone',
} as const;

/** Why the session stopped, in the user's words, and what to do about it. */
function stopText(
  reason: StopReason | undefined,
  state: SessionState,
): StopText {
  const scanNeeded = { tone: 'warn', label: 'Scan needed' } as const;
  switch (reason) {
    case 'threshold':
      return {
        title: `${state.maxFailures} consecutive failures: scan again`,
        detail: `WhatsApp refused the connection ${state.maxFailures} times in a row, so the session was reset. Scan a new QR code to link your account again.`,
        action: SCAN_AGAIN,
        alternative: BY_PHONE,
        badge: scanNeeded,
      };
    case 'force':
      return {
        title: 'Session reset: scan again',
        detail:
          'This service was logged out of WhatsApp and its session deleted. Scan a new QR code to link your account again.',
        action: SCAN_AGAIN,
        alternative: BY_PHONE,
        badge: scanNeeded,
      };
    case 'needs_qr':
      return {
        title: 'WhatsApp needs a new scan',
        detail:
          'WhatsApp no longer accepts the stored session. Scan a new QR code to link your account again.',
        action: SCAN_AGAIN,
        alternative: BY_PHONE,
        badge: scanNeeded,
      };
    case 'qr_expired':
      return {
        title: 'The QR code expired',
        detail:
          'No phone scanned it in time. Ask for a new one when you are ready to scan.',
        action: SCAN_AGAIN,
        alternative: BY_PHONE,
        badge: scanNeeded,
      };
    case 'pairing_expired':
      return {
        title: 'The code expired',
        detail:
          'Nobody typed it on the phone in time. Ask for a new code when you are ready to type it.',
        action: 'Get a new code',
        command: 'request-code',
        alternative: { label: 'Scan a QR instead', command: 'use-qr' },
        badge: { tone: 'warn', label: 'Code expired' },
      };
    case 'connection_replaced':
      return {
        title: 'Connection taken over elsewhere',
        detail:
          'WhatsApp closed this connection because the same session was opened somewhere else. Reconnect to use it here; no scan is needed.',
        action: 'Reconnect',
        badge: { tone: 'warn', label: 'Disconnected' },
      };
    case 'user':
    case 'not_linked':
    case undefined:
      return state.sessionStored
        ? {
            title: 'Disconnected',
            detail:
              'WhatsApp stays linked to this service but is not connected. Reconnect at any time; no scan is needed.',
            action: 'Reconnect',
            badge: { tone: 'off', label: 'Disconnected' },
          }
        : {
            title: 'WhatsApp is not linked',
            detail:
              'Link your account by scanning a QR code with WhatsApp on your phone.',
            action: 'Link WhatsApp',
            alternative: BY_PHONE,
            badge: { tone: 'off', label: 'Not linked' },
          };
  }
}

/** The view of a known session state. */
export function viewFor(state: SessionState): View {
  switch (state.status) {
    case 'awaiting_qr':
      return qrView(state);
    case 'awaiting_pairing':
      return pairingView(state);
    case 'connecting':
      return connectingView(state);
    case 'connected':
      return connectedView(state);
    case 'disconnected':
      // Disconnected with a reconnect scheduled is still on its way back.
      if (state.nextReconnectAt) return connectingView(state);
      return {
        kind: 'stopped',
        canReset: state.sessionStored,
        command: 'link',
        ...stopText(state.reason, state),
      };
  }
}
