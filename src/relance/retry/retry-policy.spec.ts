import { RetryPolicy } from './retry-policy';
import { CloseEvent, DisconnectDecision } from './disconnect-decision';

const THRESHOLD = 3;
const DEFAULT_COUNTED = [401, 403, 411, 500];
const TRANSIENT_CODES = [undefined, 405, 408, 428, 503, 599];

function policyWith(counted = DEFAULT_COUNTED, max = THRESHOLD): RetryPolicy {
  return new RetryPolicy({
    maxConnectionFailures: max,
    countedDisconnectCodes: counted,
  });
}

const close = (
  code: number | undefined,
  extra: Partial<CloseEvent> = {},
): CloseEvent => ({
  code,
  awaitingQr: false,
  awaitingPairing: false,
  linked: true,
  ...extra,
});

const counts = Array.from({ length: THRESHOLD }, (_, i) => i); // 0..threshold-1: the count before the close

describe('RetryPolicy', () => {
  const policy = policyWith();

  describe.each(DEFAULT_COUNTED)('counted code %i', (code) => {
    it.each(counts)('with %i prior failures', (prior) => {
      const decision = policy.decide(close(code), { failureCount: prior });
      const reached = prior + 1 === THRESHOLD;
      expect(decision).toEqual<DisconnectDecision>({
        outcome: reached ? 'threshold_reached' : 'counted_failure',
        countFailure: true,
        failureCount: reached ? 0 : prior + 1,
        deleteSession: reached,
        reconnect: reached ? 'never' : 'later',
        status: reached ? 'disconnected' : 'connecting',
        requiresQr: reached,
      });
    });
  });

  it('keeps the session files after the 2nd consecutive rejection and deletes them on the 3rd', () => {
    expect(policy.decide(close(401), { failureCount: 1 }).deleteSession).toBe(
      false,
    );
    expect(policy.decide(close(401), { failureCount: 2 }).deleteSession).toBe(
      true,
    );
  });

  it('deletes when a stored count is already beyond the threshold (threshold lowered)', () => {
    expect(policy.decide(close(401), { failureCount: 7 })).toMatchObject({
      deleteSession: true,
      failureCount: 0,
    });
  });

  describe.each(TRANSIENT_CODES)('transient code %p', (code) => {
    it.each([...counts, THRESHOLD])(
      'never counts nor deletes, and reconnects later, with %i prior failures',
      (prior) => {
        expect(
          policy.decide(close(code), { failureCount: prior }),
        ).toEqual<DisconnectDecision>({
          outcome: 'transient',
          countFailure: false,
          failureCount: prior,
          deleteSession: false,
          reconnect: 'later',
          status: 'connecting',
          requiresQr: false,
        });
      },
    );
  });

  it.each([...counts, THRESHOLD])(
    '515 after a scan reconnects now and is not a failure (%i prior)',
    (prior) => {
      expect(policy.decide(close(515), { failureCount: prior })).toMatchObject({
        outcome: 'restart_required',
        countFailure: false,
        failureCount: prior,
        deleteSession: false,
        reconnect: 'now',
        status: 'connecting',
      });
    },
  );

  it.each(counts)(
    '440 stops, keeps the files and is not a failure (%i prior)',
    (prior) => {
      expect(policy.decide(close(440), { failureCount: prior })).toMatchObject({
        outcome: 'connection_replaced',
        countFailure: false,
        deleteSession: false,
        reconnect: 'never',
      });
    },
  );

  it('408 while awaiting a scan is a QR expiry: stop, not a failure, a new QR is needed', () => {
    expect(
      policy.decide(close(408, { awaitingQr: true }), { failureCount: 2 }),
    ).toMatchObject({
      outcome: 'qr_expired',
      countFailure: false,
      failureCount: 2,
      deleteSession: false,
      reconnect: 'never',
      requiresQr: true,
    });
  });

  describe('a pairing code (linking by phone number) is a QR by other means', () => {
    const awaitingPairing = (code: number | undefined) =>
      close(code, { awaitingPairing: true, linked: false });

    it.each([...counts, THRESHOLD])(
      '408 while a code is pending is its expiry: not counted, no reconnect, a new code is needed (%i prior)',
      (prior) => {
        expect(
          policy.decide(awaitingPairing(408), { failureCount: prior }),
        ).toEqual<DisconnectDecision>({
          outcome: 'pairing_expired',
          countFailure: false,
          failureCount: prior,
          deleteSession: false,
          reconnect: 'never',
          status: 'disconnected',
          requiresQr: true,
        });
      },
    );

    it.each([401, 403, 428, 440, 500, 503, undefined])(
      'any other close before the code was typed ends the attempt uncounted (code %p)',
      (code) => {
        expect(
          policy.decide(awaitingPairing(code), { failureCount: 2 }),
        ).toMatchObject({
          outcome: 'not_linked',
          countFailure: false,
          failureCount: 2,
          reconnect: 'never',
        });
      },
    );

    it('515 once the code was typed restarts at once, as after a scan', () => {
      expect(
        policy.decide(awaitingPairing(515), { failureCount: 0 }),
      ).toMatchObject({ outcome: 'restart_required', reconnect: 'now' });
    });
  });

  it.each([401, 403, 408, 428, 440, 500, 503, undefined])(
    'does not retry nor count a link attempt that never linked (code %p)',
    (code) => {
      expect(
        policy.decide(close(code, { linked: false }), { failureCount: 2 }),
      ).toEqual<DisconnectDecision>({
        outcome: 'not_linked',
        countFailure: false,
        failureCount: 2,
        deleteSession: false,
        reconnect: 'never',
        status: 'disconnected',
        requiresQr: true,
      });
    },
  );

  it('515 right after a first scan still restarts at once (the socket was not linked when it started)', () => {
    expect(
      policy.decide(close(515, { linked: false }), { failureCount: 0 }),
    ).toMatchObject({ outcome: 'restart_required', reconnect: 'now' });
  });

  describe('with WHATSAPP_COUNTED_DISCONNECT_CODES=401,428', () => {
    const custom = policyWith([401, 428]);

    it.each(counts)(
      'counts a dropped connection (428) with %i prior failures',
      (prior) => {
        expect(
          custom.decide(close(428), { failureCount: prior }),
        ).toMatchObject({
          countFailure: true,
          deleteSession: prior + 1 === THRESHOLD,
        });
      },
    );

    it.each([403, 411, 500])('no longer counts %i', (code) => {
      expect(custom.decide(close(code), { failureCount: 2 })).toMatchObject({
        outcome: 'transient',
        countFailure: false,
      });
    });

    it('a counted 440 counts instead of stopping', () => {
      expect(
        policyWith([440]).decide(close(440), { failureCount: 0 }),
      ).toMatchObject({ countFailure: true, reconnect: 'later' });
    });
  });

  it.each([1, 5])('honours a threshold of %i', (max) => {
    const custom = policyWith(DEFAULT_COUNTED, max);
    expect(
      custom.decide(close(401), { failureCount: max - 2 }).deleteSession,
    ).toBe(false);
    expect(
      custom.decide(close(401), { failureCount: max - 1 }).deleteSession,
    ).toBe(true);
    expect(custom.atRiskFailureCount).toBe(max - 1);
  });

  it('requires a reset before a new QR only at or above the threshold', () => {
    expect(policy.mustResetBeforeQr(2)).toBe(false);
    expect(policy.mustResetBeforeQr(3)).toBe(true);
  });
});
