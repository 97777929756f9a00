import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RelanceAdminController } from './admin/relance-admin.controller';
import { RelanceStatsRepository } from './admin/relance-stats.repository';
import { RelanceEventsController } from './events/relance-events.controller';
import { SessionStream } from './events/session-stream';
import { relanceMetricProviders } from './metrics/relance-metrics';
import { ReconnectScheduler } from './reconnect/reconnect-scheduler';
import { QrImageRenderer } from './qr-image';
import { RestoreState } from './restore/restore-state';
import { SessionRestoreService } from './restore/session-restore.service';
import { SessionShutdownService } from './restore/session-shutdown.service';
import { RelanceConfigRepository } from './relance-config.repository';
import { RelanceController } from './relance.controller';
import { RetryPolicy } from './retry/retry-policy';
import {
  RelanceConfig,
  RelanceConfigSchema,
} from './schemas/relance-config.schema';
import { BaileysSocketFactory } from './session/baileys-socket.factory';
import { ConnectionEventHandler } from './session/connection-event.handler';
import { DatabaseRetry } from './session/database-retry';
import { SessionStatusReader } from './session/session-status.reader';
import { LifecycleTelemetry } from './session/lifecycle-telemetry';
import { PrometheusLifecycleTelemetry } from './session/prometheus-lifecycle-telemetry';
import { SessionEvents } from './session/session-events';
import { SessionFiles } from './session/session-files';
import { SessionLifecycleService } from './session/session-lifecycle.service';
import { SessionRegistry } from './session/session-registry';
import { UserLocks } from './session/user-locks';
import { WhatsAppSocketFactory } from './session/whatsapp-socket';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: RelanceConfig.name, schema: RelanceConfigSchema },
    ]),
  ],
  controllers: [
    RelanceController,
    RelanceEventsController,
    RelanceAdminController,
  ],
  providers: [
    RetryPolicy,
    RelanceConfigRepository,
    SessionFiles,
    SessionRegistry,
    SessionEvents,
    UserLocks,
    ReconnectScheduler,
    DatabaseRetry,
    QrImageRenderer,
    SessionLifecycleService,
    ConnectionEventHandler,
    SessionStatusReader,
    RestoreState,
    SessionRestoreService,
    SessionShutdownService,
    RelanceStatsRepository,
    SessionStream,
    ...relanceMetricProviders,
    { provide: WhatsAppSocketFactory, useClass: BaileysSocketFactory },
    { provide: LifecycleTelemetry, useClass: PrometheusLifecycleTelemetry },
  ],
  exports: [
    SessionStatusReader,
    RestoreState,
    SessionRestoreService,
    SessionLifecycleService,
    RelanceConfigRepository,
    RetryPolicy,
    SessionEvents,
    SessionFiles,
    ReconnectScheduler,
    SessionRegistry,
  ],
})
export class RelanceModule {}
