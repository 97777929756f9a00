import { SessionRecord } from 'libsignal';
import {
  describeLibsignalCall,
  guardConsoleAgainstLibsignal,
} from './libsignal-console';

const PRIVATE_KEY = Buffer.from('c0ffee'.repeat(5), 'hex');

/** libsignal's own method, which its typings leave out. */
interface ClosableRecord {
  closeSession(session: unknown): void;
}

function sessionWithPrivateKey() {
  return {
    currentRatchet: { ephemeralKeyPair: { privKey: PRIVATE_KEY } },
    indexInfo: { closed: -1 },
  };
}

describe('guardConsoleAgainstLibsignal', () => {
  const debug = jest.fn<void, [string]>();
  const printed: unknown[][] = [];
  const fakeConsole = (): Console => {
    const record =
      () =>
      (...args: unknown[]) =>
        printed.push(args);
    return {
      log: record(),
      info: record(),
      warn: record(),
      error: record(),
      debug: record(),
    } as unknown as Console;
  };

  beforeEach(() => {
    debug.mockClear();
    printed.length = 0;
  });

  it("keeps libsignal's session records (private keys) off the console, logging only its words at debug", () => {
    const originalInfo = console.info;
    const guarded = fakeConsole();
    guardConsoleAgainstLibsignal(guarded, { debug });
    // libsignal prints through the global console: lend it the guarded one.
    console.info = guarded.info;
    try {
      (new SessionRecord() as unknown as ClosableRecord).closeSession(
        sessionWithPrivateKey(),
      );
    } finally {
      console.info = originalInfo;
    }

    expect(printed).toEqual([]);
    expect(debug).toHaveBeenCalledWith('Closing session');
    expect(JSON.stringify(debug.mock.calls)).not.toContain('c0ffee');
  });

  it('passes every other console call through unchanged', () => {
    const guarded = fakeConsole();
    guardConsoleAgainstLibsignal(guarded, { debug });

    guarded.warn('from our code', { detail: 1 });
    guarded.error('boom');

    expect(printed).toEqual([['from our code', { detail: 1 }], ['boom']]);
    expect(debug).not.toHaveBeenCalled();
  });

  it('wraps a console once, however many apps start in the process', () => {
    const guarded = fakeConsole();
    guardConsoleAgainstLibsignal(guarded, { debug });
    const wrapped = guarded.info;
    guardConsoleAgainstLibsignal(guarded, { debug });

    expect(guarded.info).toBe(wrapped);
  });
});

describe('describeLibsignalCall', () => {
  it('keeps the strings and drops the objects', () => {
    expect(describeLibsignalCall(['Opening session:', { privKey: 1 }])).toBe(
      'Opening session',
    );
    expect(describeLibsignalCall([{ privKey: 1 }])).toBe(
      'libsignal console call',
    );
  });
});
