/**
 * What the simulator-backed lifecycle specs read back after each story: the
 * decisions the app logged (through spies on Nest's Logger) and what the
 * simulated edge saw. Shared by lifecycle-simulator and pairing-code e2e.
 */
import type { StatusBody } from './response-bodies';
import { waitUntil } from './wait';
import type {
  SimEvent,
  SimEventOf,
  SimEventType,
  WaSimulator,
} from './wa-simulator';

const messagesOf = (spy: jest.SpyInstance): string[] =>
  spy.mock.calls.map(([message]) => String(message));

/** The app's lifecycle lines, read from the spies the spec installs on Logger.prototype.warn and .log. */
export function lifecycleLogs(spies: {
  warn: () => jest.SpyInstance;
  log: () => jest.SpyInstance;
  maxFailures: number;
}) {
  return {
    /** "Connection failure k/N for user X" lines: the product's failure count as it logs it. */
    failureLogs: (userId: string): string[] =>
      messagesOf(spies.warn()).filter(
        (message) =>
          message.startsWith('Connection failure ') &&
          message.endsWith(` for user ${userId}`),
      ),
    /** "<code> <decision>" for each close the lifecycle handled, e.g. "401 counted_failure". */
    decisions: (userId: string): string[] =>
      messagesOf(spies.log()).flatMap((message) => {
        const match = new RegExp(
          `^Connection closed for user ${userId}: code (\\S+) \\(\\w+\\) -> (\\w+)$`,
        ).exec(message);
        return match ? [`${match[1]} ${match[2]}`] : [];
      }),
    deletionLogs: (userId: string): string[] =>
      messagesOf(spies.warn()).filter(
        (message) =>
          message ===
          `User ${userId} - ${spies.maxFailures} consecutive failures, deleting session files`,
      ),
  };
}

export const isEvent =
  <T extends SimEventType>(type: T) =>
  (event: SimEvent): event is SimEventOf<T> =>
    event.type === type;

/** Reads of the simulator's event log relative to a point in it (`lastSeq()` before an action). */
export function simEventLog(sim: () => WaSimulator) {
  const eventsAfter = (seq: number): SimEvent[] =>
    sim()
      .events()
      .filter((event) => event.seq > seq);
  return {
    lastSeq: (): number => sim().events().at(-1)?.seq ?? 0,
    eventsAfter,
    typesAfter: (seq: number, types: SimEventType[]): SimEventType[] =>
      eventsAfter(seq)
        .map((event) => event.type)
        .filter((type) => types.includes(type)),
  };
}

/** Polls GET /status until `predicate` holds; the last answer is in the timeout's message. */
export async function statusWhen(
  status: () => Promise<StatusBody>,
  predicate: (status: StatusBody) => boolean,
  what: string,
  timeoutMs: number,
): Promise<StatusBody> {
  let last: StatusBody | undefined;
  await waitUntil(
    async () => {
      last = await status();
      return predicate(last);
    },
    { timeoutMs, what: `${what} (last: ${JSON.stringify(last)})` },
  );
  return last!;
}
