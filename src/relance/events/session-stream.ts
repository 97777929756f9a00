import { Inject, Injectable, Logger, MessageEvent } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Observable } from 'rxjs';
import { sseConfig } from '../../config/sse.config';
import { QrImageRenderer } from '../qr-image';
import { toStatusResponse } from '../dto/status-response.mapper';
import { SessionEvent, SessionEventOf, SessionEvents } from './session-events';
import { SessionStatusReader } from '../status/session-status.reader';

export const STREAM_EVENT_TYPES = [
  'snapshot',
  'status',
  'qr',
  'pairing',
  'message',
  'heartbeat',
] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

type RelayedEvent = SessionEventOf<
  'status' | 'qr' | 'pairing' | 'messageStatus'
>;

/** What a browser watching its own session is shown (and what instances relay to each other). */
export function isRelayed(event: SessionEvent): event is RelayedEvent {
  return (
    event.type === 'status' ||
    event.type === 'qr' ||
    event.type === 'pairing' ||
    event.type === 'messageStatus'
  );
}

/**
 * One user's live stream: a snapshot (GET /status's body), then every
 * SessionEvents event for that user in order, plus heartbeats. The listener
 * and the heartbeat timer exist exactly as long as the subscription, which
 * Nest ends when the client disconnects.
 */
@Injectable()
export class SessionStream {
  private readonly logger = new Logger(SessionStream.name);

  constructor(
    private readonly events: SessionEvents,
    private readonly statuses: SessionStatusReader,
    private readonly qrImages: QrImageRenderer,
    @Inject(sseConfig.KEY)
    private readonly config: ConfigType<typeof sseConfig>,
  ) {}

  forUser(userId: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      // Messages are built one after another (a QR is rendered asynchronously),
      // so they leave in the order the events happened.
      let queue: Promise<void> = Promise.resolve();
      const enqueue = (build: () => Promise<MessageEvent> | MessageEvent) => {
        queue = queue
          .then(async () => {
            // A client that left gets nothing more, so nothing is read for it.
            if (subscriber.closed) return;
            const message = await build();
            if (!subscriber.closed) subscriber.next(message);
          })
          .catch((error: unknown) => {
            // Once the client has left the failure concerns nobody (e.g. the
            // snapshot read cut short by shutdown); otherwise the stream ends
            // with an `error` event and the client reconnects.
            if (subscriber.closed) return;
            this.logger.error(
              `Live stream for user ${userId} failed: ${(error as Error).message}`,
            );
            subscriber.error(error);
          });
      };
      // Subscribe before reading the snapshot, so nothing that happens meanwhile is lost.
      // Several instances: the owner may be another one, whose events come through the database.
      const unsubscribe = this.events.subscribeWithPeers(userId, (event) => {
        if (isRelayed(event)) enqueue(() => this.toMessage(event));
      });
      enqueue(async () => ({
        type: 'snapshot',
        data: toStatusResponse(await this.statuses.getStatus(userId)),
      }));
      const heartbeat = setInterval(
        () =>
          enqueue(() => ({
            type: 'heartbeat',
            data: { at: new Date().toISOString() },
          })),
        this.config.heartbeatMs,
      );
      heartbeat.unref();
      return () => {
        clearInterval(heartbeat);
        unsubscribe();
      };
    });
  }

  private async toMessage(event: RelayedEvent): Promise<MessageEvent> {
    if (event.type === 'qr') {
      return {
        type: 'qr',
        data: { qr: event.qr, qrImage: await this.qrImages.render(event.qr) },
      };
    }
    if (event.type === 'pairing') {
      return {
        type: 'pairing',
        data: {
          pairingCode: event.code,
          expiresAt: event.expiresAt.toISOString(),
        },
      };
    }
    if (event.type === 'messageStatus') {
      const { type: _type, ...message } = event;
      return { type: 'message', data: message };
    }
    // previousStatus serves server-side subscribers; a browser has seen the previous event.
    const { type: _type, previousStatus: _previous, ...status } = event;
    return { type: 'status', data: status };
  }
}
