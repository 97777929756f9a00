import type { View, ViewKind, ViewOf } from './views.mjs';

/** The user's commands, named by the buttons' data-action attribute. */
export type Action = 'link' | 'disconnect' | 'reset' | 'forget-token';

const ACTIONS: readonly string[] = [
  'link',
  'disconnect',
  'reset',
  'forget-token',
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
  private readonly stopAction: HTMLButtonElement;
  private readonly stopReset: HTMLButtonElement;
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
    this.stopAction = required(doc, '#stop-action', HTMLButtonElement);
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
    (this.renderers[view.kind] as (view: View) => void)(view);
    // Keyboard users whose button just disappeared continue from the new heading.
    if (
      previous !== view.kind &&
      focusWasInHiddenPart &&
      view.kind !== 'token'
    ) {
      this.title.focus();
    }
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

  private renderStopped(view: ViewOf<'stopped'>): void {
    setText(this.stopAction, view.action);
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
    case 'token':
    case 'qr':
      return 'none';
  }
}

/** Writes only when the text changes, so the live region announces changes, not repeats. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
