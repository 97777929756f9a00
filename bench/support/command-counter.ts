import type { mongo } from 'mongoose';

type CommandStartedEvent = mongo.CommandStartedEvent;

/** What a relanceconfigs command was for, read from the command itself. */
export type CommandKind =
  | 'close: findAndModify'
  | 'open: update status=connected'
  | 'start: update status=connecting'
  | 'update status=disconnected'
  | 'other';

function classify(event: CommandStartedEvent): CommandKind {
  const command = event.command as Record<string, unknown>;
  if (event.commandName === 'findAndModify') return 'close: findAndModify';
  if (event.commandName === 'update') {
    const updates = command.updates as
      Array<{ u?: { $set?: { whatsappStatus?: string } } }> | undefined;
    const status = updates?.[0]?.u?.$set?.whatsappStatus;
    if (status === 'connected') return 'open: update status=connected';
    if (status === 'connecting') return 'start: update status=connecting';
    if (status === 'disconnected') return 'update status=disconnected';
  }
  return 'other';
}

/**
 * Counts database round trips through the driver's command monitoring: one
 * `commandStarted` is one request sent to the server. Counting is attributed
 * to whatever phase is current, and also classified by the command itself.
 */
export class CommandCounter {
  private phase: string | undefined;
  readonly byPhase = new Map<string, number>();
  readonly byPhaseAndKind = new Map<string, Map<string, number>>();
  readonly otherCommands = new Map<string, number>();

  constructor(client: mongo.MongoClient) {
    if (!client.options.monitorCommands) {
      throw new Error(
        'The app client does not monitor commands: add monitorCommands=true to its MONGODB_URI',
      );
    }
    client.on('commandStarted', (event) => this.record(event));
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

  count(phase: string): number {
    return this.byPhase.get(phase) ?? 0;
  }

  kinds(phase: string): Record<string, number> {
    return Object.fromEntries(this.byPhaseAndKind.get(phase) ?? []);
  }

  private record(event: CommandStartedEvent): void {
    if (!this.phase) return;
    this.byPhase.set(this.phase, this.count(this.phase) + 1);
    const kind = classify(event);
    const kinds =
      this.byPhaseAndKind.get(this.phase) ?? new Map<string, number>();
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    this.byPhaseAndKind.set(this.phase, kinds);
    if (kind === 'other')
      this.otherCommands.set(
        event.commandName,
        (this.otherCommands.get(event.commandName) ?? 0) + 1,
      );
  }
}
