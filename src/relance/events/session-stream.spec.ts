import { MessageEvent } from '@nestjs/common';
import { QrImageRenderer } from '../qr-image';
import {
  SessionStatus,
  SessionStatusReader,
} from '../status/session-status.reader';
import { waitUntil } from '../../../test/support/wait';
import { SessionEvents } from './session-events';
import { SessionStream } from './session-stream';

const STATUS: SessionStatus = {
  status: 'disconnected',
  connectionFailureCount: 0,
  maxConnectionFailures: 3,
  sessionStored: false,
};

function streamWith(events: SessionEvents, heartbeatMs = 60_000) {
  const statuses = {
    getStatus: jest.fn().mockResolvedValue(STATUS),
  } as unknown as SessionStatusReader;
  const qrImages = {
    render: jest.fn((qr: string) =>
      Promise.resolve(`data:image/png;base64,${qr}`),
    ),
  } as unknown as QrImageRenderer;
  return new SessionStream(events, statuses, qrImages, { heartbeatMs });
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('SessionStream', () => {
  it('sends the snapshot, then the user’s status, QR and pairing-code events in order, its message statuses, and nothing else', async () => {
    const events = new SessionEvents();
    const received: MessageEvent[] = [];
    const subscription = streamWith(events)
      .forUser('u1')
      .subscribe((message) => received.push(message));
    events.emit('u1', {
      type: 'status',
      status: 'connecting',
      previousStatus: 'disconnected',
    });
    events.emit('u1', { type: 'closed', code: 428, outcome: 'transient' });
    events.emit('u1', { type: 'qr', qr: 'abc' });
    events.emit('u1', {
      type: 'pairing',
      code: 'ABCD-EFGH',
      expiresAt: new Date('2026-11-28T10:02:40.000Z'),
    });
    events.emit('u2', { type: 'status', status: 'connected' });
    events.emit('u1', {
      type: 'failure',
      count: 1,
      max: 3,
      code: 401,
      reason: 'loggedOut',
    });
    events.emit('u1', {
      type: 'messageStatus',
      messageId: 'm1',
      status: 'sent',
    });
    await waitUntil(() => received.length >= 5, { what: 'five messages' });
    await flush();
    subscription.unsubscribe();
    expect(received).toEqual([
      {
        type: 'snapshot',
        data: expect.objectContaining({ status: 'disconnected' }) as unknown,
      },
      { type: 'status', data: { status: 'connecting' } },
      { type: 'qr', data: { qr: 'abc', qrImage: 'data:image/png;base64,abc' } },
      {
        type: 'pairing',
        data: {
          pairingCode: 'ABCD-EFGH',
          expiresAt: '2026-11-28T10:02:40.000Z',
        },
      },
      { type: 'message', data: { messageId: 'm1', status: 'sent' } },
    ]);
  });

  it('removes its listener and its heartbeat when the client leaves', async () => {
    jest.useFakeTimers();
    try {
      const events = new SessionEvents();
      const received: MessageEvent[] = [];
      const subscription = streamWith(events, 100)
        .forUser('u1')
        .subscribe((message) => received.push(message));
      expect(events.listenerCount('u1')).toBe(1);
      await jest.advanceTimersByTimeAsync(250);
      expect(received.filter((m) => m.type === 'heartbeat')).toHaveLength(2);
      subscription.unsubscribe();
      expect(events.listenerCount('u1')).toBe(0);
      await jest.advanceTimersByTimeAsync(500);
      expect(received.filter((m) => m.type === 'heartbeat')).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
