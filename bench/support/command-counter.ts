import type { mongo } from 'mongoose';

type CommandStartedEvent = mongo.CommandStartedEvent;

type Update = {
  $set?: Record<string, unknown>;
  $inc?: Record<string, unknown>;
};

/** The collection a command names (`{ find: 'relancemessages', … }`). */
function collectionOf(event: CommandStartedEvent): string {
  const target = (event.command as Record<string, unknown>)[event.commandName];
  return typeof target === 'string' ? target : '?';
}

/** The update document of an `update` (first statement) or `findAndModify`. */
function updateOf(event: CommandStartedEvent): Update | undefined {
  const command = event.command as Record<string, unknown>;
  if (event.commandName === 'findAndModify') return command.update as Update;
  if (event.commandName === 'update')
    return (command.updates as Array<{ u?: Update }> | undefined)?.[0]?.u;
  return undefined;
}

/** What a `relanceconfigs` command was for, read from the command itself (see RelanceConfigRepository). */
function sessionCommand(event: CommandStartedEvent): string {
  if (event.commandName !== 'update' && event.commandName !== 'findAndModify')
    return event.commandName;
  const set = updateOf(event)?.$set ?? {};
  const status = set.whatsappStatus as string | undefined;
  if ('lastDisconnectReason' in set)
    return `close: update (applyClose, status=${status})`;
  if (status === 'connected') return 'open: update (markConnected)';
  if (event.commandName === 'findAndModify' && status === 'connecting')
    return 'start: findAndModify (markConnecting)';
  return `${event.commandName} (status=${status ?? '?'})`;
}

/** The driver sends `sort` as a Map; a plain object is read too. */
function sortDirection(sort: unknown, field: string): unknown {
  if (sort instanceof Map) return sort.get(field);
  return (sort as Record<string, unknown> | undefined)?.[field];
}

/** What a `relancemessages` command was for (see RelanceMessageRepository). */
function messageCommand(event: CommandStartedEvent): string {
  const command = event.command as Record<string, unknown>;
  switch (event.commandName) {
    case 'insert':
      return 'insert (accept)';
    case 'aggregate':
      return 'aggregate (countDocuments: queue limit)';
    case 'find':
      return sortDirection(command.sort, 'createdAt') === 1 &&
        command.limit === 1
        ? 'find (nextDue)'
        : 'find (other)';
    case 'findAndModify': {
      const status = updateOf(event)?.$set?.status as string | undefined;
      if (status === 'sending') return 'findAndModify (markSending)';
      if (status === 'sent' || status === 'delivered' || status === 'read')
        return `findAndModify (receipt: ${status})`;
      return `findAndModify (status=${status ?? '?'})`;
    }
    case 'update':
      return 'sentAt' in (updateOf(event)?.$set ?? {})
        ? 'update (backfillSentAt)'
        : 'update (other)';
    default:
      return event.commandName;
  }
}

/** A readable name for one command: its collection and what it was for. */
export function classifyCommand(event: CommandStartedEvent): string {
  const collection = collectionOf(event);
  if (collection === 'relanceconfigs')
    return `relanceconfigs ${sessionCommand(event)}`;
  if (collection === 'relancemessages')
    return `relancemessages ${messageCommand(event)}`;
  return `${collection} ${event.commandName}`;
}

/**
 * Counts database round trips through the driver's command monitoring: one
 * `commandStarted` is one request sent to the server. Each is attributed to
 * whatever phase is current and classified by the command itself
 * (collection + purpose); the time the server took (`commandSucceeded`
 * duration) is summed per phase and kind.
 */
export class CommandCounter {
  private phase: string | undefined;
  readonly byPhase = new Map<string, number>();
  private readonly byPhaseAndKind = new Map<string, Map<string, number>>();
  private readonly msByPhaseAndKind = new Map<string, Map<string, number>>();
  private readonly inFlight = new Map<
    number,
    { phase: string | undefined; kind: string }
  >();
  /** Every command by kind, in a phase or not. */
  private readonly totals = new Map<string, number>();

  constructor(client: mongo.MongoClient) {
    if (!client.options.monitorCommands) {
      throw new Error(
        'The app client does not monitor commands: add monitorCommands=true to its MONGODB_URI',
      );
    }
    client.on('commandStarted', (event) => this.record(event));
    client.on('commandSucceeded', (event) =>
      this.finished(event.requestId, event.duration),
    );
    client.on('commandFailed', (event) =>
      this.finished(event.requestId, event.duration),
    );
  }

  /** Attributes the commands `run` causes to `phase`; nothing is counted outside a phase. */
  async during<T>(phase: string, run: () => Promise<T>): Promise<T> {
    if (this.phase) throw new Error(`phase ${this.phase} is still open`);
    this.phase = phase;
    try {
      return await run();
    } finally {
      this.phase = undefined;
    }
  }

  count(phase: string, kindPrefix?: string): number {
    if (kindPrefix === undefined) return this.byPhase.get(phase) ?? 0;
    let total = 0;
    for (const [kind, count] of this.byPhaseAndKind.get(phase) ?? [])
      if (kind.startsWith(kindPrefix)) total += count;
    return total;
  }

  /** Commands of this kind since the counter was made, in a phase or not. */
  total(kind: string): number {
    return this.totals.get(kind) ?? 0;
  }

  /** Every kind seen since the counter was made, in a phase or not. */
  allKinds(): Record<string, number> {
    return Object.fromEntries(this.totals);
  }

  kinds(phase: string): Record<string, number> {
    return Object.fromEntries(this.byPhaseAndKind.get(phase) ?? []);
  }

  /** Server time (ms, summed over commands, which may overlap) per kind. */
  milliseconds(phase: string): Record<string, number> {
    return Object.fromEntries(this.msByPhaseAndKind.get(phase) ?? []);
  }

  private record(event: CommandStartedEvent): void {
    const kind = classifyCommand(event);
    this.totals.set(kind, this.total(kind) + 1);
    this.inFlight.set(event.requestId, { phase: this.phase, kind });
    if (!this.phase) return;
    this.byPhase.set(this.phase, this.count(this.phase) + 1);
    increment(this.byPhaseAndKind, this.phase, kind, 1);
  }

  private finished(requestId: number, durationMs: number): void {
    const started = this.inFlight.get(requestId);
    if (!started) return;
    this.inFlight.delete(requestId);
    if (started.phase)
      increment(this.msByPhaseAndKind, started.phase, started.kind, durationMs);
  }

  /** Commands sent and not yet answered, in a phase or not. */
  get pending(): number {
    return this.inFlight.size;
  }
}

function increment(
  table: Map<string, Map<string, number>>,
  phase: string,
  kind: string,
  by: number,
): void {
  const kinds = table.get(phase) ?? new Map<string, number>();
  kinds.set(kind, (kinds.get(kind) ?? 0) + by);
  table.set(phase, kinds);
}
