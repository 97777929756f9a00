import { Injectable, OnModuleDestroy, Provider } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { Gauge, register } from 'prom-client';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { SessionSupervisor } from '../supervisor/session-supervisor';
import { WHATSAPP_STATUSES } from '../whatsapp-status';

export const CONNECTION_CLOSES = 'relance_connection_closes_total';
export const SESSION_DELETIONS = 'relance_session_deletions_total';
export const RECONNECT_ATTEMPTS = 'relance_reconnect_attempts_total';
export const QR_CODES_ISSUED = 'relance_qr_codes_issued_total';
export const SESSIONS = 'relance_sessions';
export const PENDING_RECONNECTS = 'relance_pending_reconnects';
export const CLOSE_TO_REOPEN = 'relance_close_to_reopen_seconds';

const RELANCE_METRICS = [
  CONNECTION_CLOSES,
  SESSION_DELETIONS,
  RECONNECT_ATTEMPTS,
  QR_CODES_ISSUED,
  SESSIONS,
  PENDING_RECONNECTS,
  CLOSE_TO_REOPEN,
];

/** The live sessions of this process by status, read when Prometheus scrapes. */
function collectSessions(
  this: Gauge<string>,
  supervisor: SessionSupervisor,
): void {
  const counts = new Map<string, number>(
    WHATSAPP_STATUSES.map((status) => [status, 0]),
  );
  for (const session of supervisor.liveSessions())
    counts.set(session.status, (counts.get(session.status) ?? 0) + 1);
  for (const [status, count] of counts) this.set({ status }, count);
}

function collectPendingReconnects(
  this: Gauge<string>,
  reconnects: ReconnectScheduler,
): void {
  this.set(reconnects.pendingCount);
}

/**
 * The metrics live in prom-client's default registry, which outlives an
 * application (tests start several per process). Dropping them on shutdown
 * lets the next application register fresh ones whose gauges read its own
 * registry and scheduler.
 */
@Injectable()
export class RelanceMetricsRelease implements OnModuleDestroy {
  onModuleDestroy(): void {
    for (const name of RELANCE_METRICS) register.removeSingleMetric(name);
  }
}

export const relanceMetricProviders: Provider[] = [
  makeCounterProvider({
    name: CONNECTION_CLOSES,
    help: 'Unplanned WhatsApp connection closes, by disconnect code and RetryPolicy decision',
    labelNames: ['code', 'decision'],
  }),
  makeCounterProvider({
    name: SESSION_DELETIONS,
    help: 'Session files deleted, by cause (threshold: consecutive failures; force: the user reset)',
    labelNames: ['cause'],
  }),
  makeCounterProvider({
    name: RECONNECT_ATTEMPTS,
    help: 'Background reconnect attempts started after a close',
  }),
  makeCounterProvider({
    name: QR_CODES_ISSUED,
    help: 'QR codes received from WhatsApp and offered to users',
  }),
  makeGaugeProvider({
    name: SESSIONS,
    help: 'Live WhatsApp sessions in this process, by status',
    labelNames: ['status'],
    inject: [SessionSupervisor],
    collect: collectSessions,
  }),
  makeGaugeProvider({
    name: PENDING_RECONNECTS,
    help: 'Users with a reconnect scheduled',
    inject: [ReconnectScheduler],
    collect: collectPendingReconnects,
  }),
  makeHistogramProvider({
    name: CLOSE_TO_REOPEN,
    help: 'Time from an unplanned close to the next open connection of the same user',
    buckets: [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  }),
  RelanceMetricsRelease,
];
