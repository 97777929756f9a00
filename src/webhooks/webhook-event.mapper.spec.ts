import type { SessionEvent } from '../relance/events/session-events';
import type { WhatsAppStatus } from '../relance/whatsapp-status';
import { serializePayload, WebhookEvent } from './webhook-event';
import { toWebhookEvent } from './webhook-event.mapper';

describe('session event → webhook event', () => {
  it.each<[string, SessionEvent, WebhookEvent]>([
    [
      'a status change, with the previous status',
      { type: 'status', status: 'connected', previousStatus: 'connecting' },
      {
        type: 'session.status',
        data: { status: 'connected', previousStatus: 'connecting' },
      },
    ],
    [
      'a counted failure, with its code',
      { type: 'failure', count: 2, max: 3, code: 500, reason: 'badSession' },
      {
        type: 'session.failure',
        data: { count: 2, max: 3, code: 500, reason: 'badSession' },
      },
    ],
    [
      'a counted failure without a code, as code null',
      { type: 'failure', count: 1, max: 3, reason: 'unknown' },
      {
        type: 'session.failure',
        data: { count: 1, max: 3, code: null, reason: 'unknown' },
      },
    ],
    [
      'a reset at the threshold',
      { type: 'reset', reason: 'threshold' },
      { type: 'session.reset', data: { reason: 'threshold' } },
    ],
    [
      'a forced reset',
      { type: 'reset', reason: 'force' },
      { type: 'session.reset', data: { reason: 'force' } },
    ],
    [
      'a session that needs a new scan',
      { type: 'reset', reason: 'needs_qr' },
      { type: 'session.reset', data: { reason: 'needs_qr' } },
    ],
    [
      'a follow-up delivered',
      { type: 'messageStatus', messageId: 'm1', status: 'delivered' },
      {
        type: 'message.status',
        data: { messageId: 'm1', status: 'delivered' },
      },
    ],
    [
      'a follow-up that failed, with its error',
      {
        type: 'messageStatus',
        messageId: 'm2',
        status: 'failed',
        error: { code: 'session_reset', reason: 'The session was reset' },
      },
      {
        type: 'message.status',
        data: {
          messageId: 'm2',
          status: 'failed',
          error: { code: 'session_reset', reason: 'The session was reset' },
        },
      },
    ],
  ])('maps %s', (_name, event, expected) => {
    expect(toWebhookEvent(event)).toEqual(expected);
  });

  it.each<[string, SessionEvent]>([
    ['a QR code', { type: 'qr', qr: '2@secret-ref,noise' }],
    ['a close', { type: 'closed', code: 428, outcome: 'transient' }],
    ['a reconnect attempt', { type: 'reconnecting', attempt: 2 }],
    ['an incoming message', { type: 'messageReceived', from: '33600000000' }],
    [
      'a WhatsApp receipt',
      { type: 'receipt', whatsappMessageId: 'ABC', status: 'read' },
    ],
  ])('never sends %s', (_name, event) => {
    expect(toWebhookEvent(event)).toBeUndefined();
  });

  it('reports the first status it sees with previousStatus null', () => {
    expect(toWebhookEvent({ type: 'status', status: 'connecting' })).toEqual({
      type: 'session.status',
      data: { status: 'connecting', previousStatus: null },
    });
  });

  it.each<[WhatsAppStatus | undefined, WhatsAppStatus, boolean]>([
    [undefined, 'disconnected', true],
    ['connected', 'disconnected', true],
    ['disconnected', 'disconnected', false],
    ['connecting', 'connecting', false],
  ])(
    'with the last known status %s, a status event without previousStatus for %s is sent: %s',
    (lastKnown, status, sent) => {
      const mapped = toWebhookEvent({ type: 'status', status }, lastKnown);
      expect(mapped !== undefined).toBe(sent);
      if (mapped?.type === 'session.status')
        expect(mapped.data.previousStatus).toBe(lastKnown ?? null);
    },
  );

  it('does not send a status the event itself says is unchanged', () => {
    expect(
      toWebhookEvent(
        { type: 'status', status: 'connecting', previousStatus: 'connecting' },
        'connected',
      ),
    ).toBeUndefined();
  });

  it('serializes the body as { type, timestamp, data } with userId and sequence in data', () => {
    const body = serializePayload(
      { type: 'session.reset', data: { reason: 'threshold' } },
      'user_42',
      7,
      new Date('2026-11-28T10:15:00.000Z'),
    );
    expect(JSON.parse(body)).toEqual({
      type: 'session.reset',
      timestamp: '2026-11-28T10:15:00.000Z',
      data: { userId: 'user_42', sequence: 7, reason: 'threshold' },
    });
  });
});
