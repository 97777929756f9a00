const STORAGE_KEY = 'relance.connect.token';

/**
 * The bearer token. It arrives in the URL fragment (`#token=…`), which
 * browsers never send to a server, and is removed from the address bar at
 * once so it stays out of history, bookmarks and screen shares. It is then
 * kept in sessionStorage: this tab only, gone when the tab closes, and a
 * reload does not ask for it again.
 */
export class TokenStore {
  constructor(
    private readonly location: Location,
    private readonly history: History,
    private readonly storage: Storage | undefined,
  ) {}

  /** The fragment's token (moved out of the address bar), else the one this tab kept. */
  take(): string | undefined {
    const fromFragment = this.takeFromFragment();
    if (fromFragment !== undefined) {
      this.save(fromFragment);
      return fromFragment;
    }
    return this.storage?.getItem(STORAGE_KEY) ?? undefined;
  }

  save(token: string): void {
    this.storage?.setItem(STORAGE_KEY, token);
  }

  forget(): void {
    this.storage?.removeItem(STORAGE_KEY);
  }

  private takeFromFragment(): string | undefined {
    const params = new URLSearchParams(this.location.hash.slice(1));
    const token = params.get('token');
    if (token === null) return undefined;
    params.delete('token');
    const rest = params.toString();
    this.history.replaceState(
      this.history.state,
      '',
      `${this.location.pathname}${this.location.search}${rest ? `#${rest}` : ''}`,
    );
    return token.trim() || undefined;
  }
}

/** sessionStorage, or nothing when the browser refuses it (e.g. storage disabled): the token then lives in memory. */
export function tabStorage(window: Window): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch (error) {
    console.warn(
      'sessionStorage is unavailable; the token will not survive a reload',
      error,
    );
    return undefined;
  }
}
