import type { View, ViewKind, ViewOf } from './views.mjs';

/** The user's commands, named by the buttons' data-action attribute. */
export type Action =
  | 'link'
  | 'disconnect'
  | 'reset'
  | 'forget-token'
  | 'use-phone'
  | 'use-qr'
  | 'request-code';

const ACTIONS: readonly string[] = [
  'link',
  'disconnect',
  'reset',
  'forget-token',
  'use-phone',
  'use-qr',
  'request-code',
];

function required<T extends Element>(
  root: ParentNode,
  selector: string,
  type: new () => T,
): T {
  const element = root.querySelector(selector);
  if (!(element instanceof type)) {
    throw new Error(`connect.html lacks ${selector}`);
  }
  return element;
}

/**
 * The DOM side of the page: shows one View at a time (its section of
 * connect.html, the heading in the live region, the badge) and reports what
 * the user asks for. Text goes in with textContent only, never as HTML.
 */
export class PageView {
  private readonly state: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly badgeLabel: HTMLElement;
  private readonly title: HTMLElement;
  private readonly detail: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly footer: HTMLElement;
  private readonly sections: Map<ViewKind, HTMLElement>;
  private readonly tokenForm: HTMLFormElement;
  private readonly tokenInput: HTMLInputElement;
  private readonly tokenError: HTMLElement;
  private readonly qrImage: HTMLImageElement;
  private readonly qrPlaceholder: HTMLElement;
  private readonly phoneForm: HTMLFormElement;
  private readonly phoneInput: HTMLInputElement;
  private readonly phoneError: HTMLElement;
  private readonly pairingCode: HTMLElement;
  private readonly pairingCountdown: HTMLElement;
  private readonly stopAction: HTMLButtonElement;
  private readonly stopAlternative: HTMLButtonElement;
  private readonly stopReset: HTMLButtonElement;
  private countdown?: number;
  private readonly resetDialog: HTMLDialogElement;
  private shown?: ViewKind;

  /**
   * One renderer per kind, for what its section shows beyond the heading
   * (kinds without controls have no section): the compiler refuses a View
   * kind without one.
   */
  private readonly renderers: { [K in ViewKind]: (view: ViewOf<K>) => void } = {
    token: (view) => this.renderToken(view),
    loading: () => undefined,
    qr: (view) => this.renderQr(view),
    phone: (view) => this.renderPhone(view),
    pairing: (view) => this.renderPairing(view),
    connecting: () => undefined,
    connected: () => undefined,
    stopped: (view) => this.renderStopped(view),
  };

  constructor(private readonly doc: Document) {
    this.state = required(doc, '#state', HTMLElement);
    this.badge = required(doc, '#badge', HTMLElement);
    this.badgeLabel = required(doc, '#badge-label', HTMLElement);
    this.title = required(doc, '#state-title', HTMLElement);
    this.detail = required(doc, '#state-detail', HTMLElement);
    this.notice = required(doc, '#notice', HTMLElement);
    this.footer = required(doc, '#footer', HTMLElement);
    this.sections = new Map(
      [...doc.querySelectorAll<HTMLElement>('[data-view]')].map((section) => [
        section.dataset.view as ViewKind,
        section,
      ]),
    );
    this.tokenForm = required(doc, '#token-form', HTMLFormElement);
    this.tokenInput = required(doc, '#token-input', HTMLInputElement);
    this.tokenError = required(doc, '#token-error', HTMLElement);
    this.qrImage = required(doc, '#qr-image', HTMLImageElement);
    this.qrPlaceholder = required(doc, '#qr-placeholder', HTMLElement);
    this.phoneForm = required(doc, '#phone-form', HTMLFormElement);
    this.phoneInput = required(doc, '#phone-input', HTMLInputElement);
    this.phoneError = required(doc, '#phone-error', HTMLElement);
    this.pairingCode = required(doc, '#pairing-code', HTMLElement);
    this.pairingCountdown = required(doc, '#pairing-countdown', HTMLElement);
    this.stopAction = required(doc, '#stop-action', HTMLButtonElement);
    this.stopAlternative = required(
      doc,
      '#stop-alternative',
      HTMLButtonElement,
    );
    this.stopReset = required(doc, '#stop-reset', HTMLButtonElement);
    this.resetDialog = required(doc, '#reset-dialog', HTMLDialogElement);
  }

  show(view: View): void {
    const previous = this.shown;
    const focusWasInHiddenPart = this.focusIsLost();
    for (const [kind, section] of this.sections)
      section.hidden = kind !== view.kind;
    this.shown = view.kind;
    this.footer.hidden = view.kind === 'token';
    this.state.dataset.icon = iconFor(view);
    this.badge.dataset.tone = view.badge.tone;
    setText(this.badgeLabel, view.badge.label);
    setText(this.title, view.title);
    setText(this.detail, view.detail);
    if (view.kind !== 'pairing') this.stopCountdown();
    (this.renderers[view.kind] as (view: View) => void)(view);
    if (previous === view.kind) return;
    // Asked for by the user: the number field is what comes next.
    if (view.kind === 'phone') this.phoneInput.focus();
    // Keyboard users whose button just disappeared continue from the new heading.
    else if (focusWasInHiddenPart && view.kind !== 'token') this.title.focus();
  }

  /** A message beside the state: an error, a rate limit, a lost stream. */
  showNotice(message: string | undefined): void {
    this.notice.hidden = message === undefined;
    setText(this.notice, message ?? '');
  }

  /**
   * While a command runs its buttons say so (aria-disabled keeps them
   * focusable, so keyboard focus is not thrown back to the top of the page);
   * the caller ignores clicks meanwhile.
   */
  setBusy(busy: boolean): void {
    for (const button of this.doc.querySelectorAll<HTMLButtonElement>(
      'button[data-action]',
    )) {
      if (busy) button.setAttribute('aria-disabled', 'true');
      else button.removeAttribute('aria-disabled');
    }
  }

  onAction(listener: (action: Action) => void): void {
    this.doc.addEventListener('click', (event) => {
      const target =
        event.target instanceof Element
          ? event.target.closest('[data-action]')
          : null;
      const action =
        target instanceof HTMLElement ? target.dataset.action : undefined;
      if (action !== undefined && ACTIONS.includes(action))
        listener(action as Action);
    });
  }

  onToken(listener: (token: string) => void): void {
    this.tokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = this.tokenInput.value.trim();
      if (token === '') {
        this.showTokenError('Paste an access token first.');
        return;
      }
      this.tokenInput.value = '';
      listener(token);
    });
  }

  /** The phone number form: the number as typed, spaces and punctuation left out. */
  onPhone(listener: (phoneNumber: string) => void): void {
    this.phoneForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const number = this.phoneInput.value.replace(/[\s().-]/g, '');
      if (number === '') {
        this.showPhoneError('Enter your phone number first.');
        return;
      }
      listener(number);
    });
  }

  /** Asks before a reset; resolves true only when the user confirms. */
  confirmReset(): Promise<boolean> {
    return new Promise((resolve) => {
      this.resetDialog.returnValue = '';
      this.resetDialog.addEventListener(
        'close',
        () => resolve(this.resetDialog.returnValue === 'confirm'),
        { once: true },
      );
      this.resetDialog.showModal();
    });
  }

  private renderToken(view: ViewOf<'token'>): void {
    if (view.error) this.showTokenError(view.error);
    else this.clearTokenError();
    this.tokenInput.focus();
  }

  private showTokenError(message: string): void {
    setText(this.tokenError, message);
    this.tokenError.hidden = false;
    this.tokenInput.setAttribute('aria-invalid', 'true');
    this.tokenInput.focus();
  }

  private clearTokenError(): void {
    this.tokenError.hidden = true;
    setText(this.tokenError, '');
    this.tokenInput.removeAttribute('aria-invalid');
  }

  private renderQr(view: ViewOf<'qr'>): void {
    const image = view.qrImage;
    const ready = image !== undefined;
    if (ready && this.qrImage.getAttribute('src') !== image) {
      this.qrImage.src = image;
    }
    this.qrImage.hidden = !ready;
    this.qrPlaceholder.hidden = ready;
  }

  private renderPhone(view: ViewOf<'phone'>): void {
    if (view.error) this.showPhoneError(view.error);
    else {
      this.phoneError.hidden = true;
      setText(this.phoneError, '');
      this.phoneInput.removeAttribute('aria-invalid');
    }
  }

  private showPhoneError(message: string): void {
    setText(this.phoneError, message);
    this.phoneError.hidden = false;
    this.phoneInput.setAttribute('aria-invalid', 'true');
    this.phoneInput.focus();
  }

  private renderPairing(view: ViewOf<'pairing'>): void {
    setText(this.pairingCode, view.code ?? '');
    this.pairingCode.hidden = view.code === undefined;
    this.stopCountdown();
    const expiresAt = view.expiresAt;
    this.pairingCountdown.hidden = expiresAt === undefined;
    if (expiresAt === undefined) return;
    const tick = () => setText(this.pairingCountdown, timeLeft(expiresAt));
    tick();
    this.countdown = window.setInterval(tick, 1_000);
  }

  private stopCountdown(): void {
    window.clearInterval(this.countdown);
    this.countdown = undefined;
  }

  private renderStopped(view: ViewOf<'stopped'>): void {
    setText(this.stopAction, view.action);
    this.stopAction.dataset.action = view.command;
    this.stopAlternative.hidden = view.alternative === undefined;
    if (view.alternative) {
      setText(this.stopAlternative, view.alternative.label);
      this.stopAlternative.dataset.action = view.alternative.command;
    }
    this.stopReset.hidden = !view.canReset;
  }

  /** Focus is inside the section on screen, which the next view may hide. */
  private focusIsLost(): boolean {
    const section = this.doc.activeElement?.closest('[data-view]');
    return (
      section instanceof HTMLElement && section.dataset.view === this.shown
    );
  }
}

/** The decorative picture beside the heading (the heading says it in words). */
function iconFor(view: View): 'spinner' | 'check' | 'alert' | 'none' {
  switch (view.kind) {
    case 'loading':
    case 'connecting':
      return 'spinner';
    case 'connected':
      return 'check';
    case 'stopped':
      return view.badge.tone === 'warn' ? 'alert' : 'none';
    case 'pairing':
      return view.code === undefined ? 'spinner' : 'none';
    case 'token':
    case 'qr':
    case 'phone':
      return 'none';
  }
}

/** "Expires in 2:35", to the second; the heading's detail gives the time itself for screen readers. */
function timeLeft(expiresAt: Date): string {
  const left = Math.max(
    0,
    Math.ceil((expiresAt.getTime() - Date.now()) / 1000),
  );
  if (left === 0) return 'The code is expiring…';
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, '0');
  return `Expires in ${minutes}:${seconds}`;
}

/** Writes only when the text changes, so the live region announces changes, not repeats. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
