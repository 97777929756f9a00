import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { clusterConfig } from '../config/cluster.config';
import { MongooseModule } from '@nestjs/mongoose';
import { ClusterModule } from '../cluster/cluster.module';
import { whatsappConfig } from '../config/whatsapp.config';
import { RelanceAdminController } from './admin/relance-admin.controller';
import { RelanceStatsRepository } from './admin/relance-stats.repository';
import { SessionLifecycleService } from './commands/session-lifecycle.service';
import { FileCredentialStore } from './credentials/file-credential-store';
import { MongoCredentialStore } from './credentials/mongo-credential-store';
import { SessionCredentialStore } from './credentials/session-credential-store';
import { SessionFiles } from './credentials/session-files';
import { DatabaseRetry } from '../common/database-retry';
import { ClusterEventRelay } from './events/cluster-event-relay';
import { RelanceEventsController } from './events/relance-events.controller';
import { SessionEvents } from './events/session-events';
import { SessionStream } from './events/session-stream';
import { relanceMetricProviders } from './metrics/relance-metrics';
import { SessionMetricsSubscriber } from './metrics/session-metrics.subscriber';
import { QrImageRenderer } from './qr-image';
import { ReconnectScheduler } from './reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from './relance-config.repository';
import { RelanceController } from './relance.controller';
import { RestoreState } from './restore/restore-state';
import { SessionBalancer } from './restore/session-balancer';
import { SessionRestoreService } from './restore/session-restore.service';
import { SessionShutdownService } from './restore/session-shutdown.service';
import { RetryPolicy } from './retry/retry-policy';
import {
  ClusterEvent,
  ClusterEventSchema,
} from './schemas/cluster-event.schema';
import {
  RelanceConfig,
  RelanceConfigSchema,
} from './schemas/relance-config.schema';
import {
  SessionCredential,
  SessionCredentialSchema,
} from './schemas/session-credential.schema';
import { SessionStatusReader } from './status/session-status.reader';
import { REQUEST_READS } from '../database/database-connection';
import { BaileysSocketFactory } from './supervisor/baileys-socket.factory';
import { SessionResets } from './supervisor/session-resets';
import { SessionSender } from './supervisor/session-sender';
import { SessionSupervisor } from './supervisor/session-supervisor';
import { UserLocks } from '../common/user-locks';
import { WhatsAppSocketFactory } from './supervisor/whatsapp-socket';

@Module({
  imports: [
    ClusterModule,
    ConfigModule.forFeature(clusterConfig),
    MongooseModule.forFeature([
      { name: RelanceConfig.name, schema: RelanceConfigSchema },
      { name: SessionCredential.name, schema: SessionCredentialSchema },
      { name: ClusterEvent.name, schema: ClusterEventSchema },
    ]),
    MongooseModule.forFeature(
      [{ name: RelanceConfig.name, schema: RelanceConfigSchema }],
      REQUEST_READS,
    ),
  ],
  controllers: [
    RelanceController,
    RelanceEventsController,
    RelanceAdminController,
  ],
  providers: [
    RetryPolicy,
    DatabaseRetry,
    RelanceConfigRepository,
    SessionFiles,
    SessionEvents,
    UserLocks,
    ReconnectScheduler,
    QrImageRenderer,
    SessionSupervisor,
    SessionLifecycleService,
    SessionStatusReader,
    RestoreState,
    SessionRestoreService,
    SessionShutdownService,
    SessionBalancer,
    RelanceStatsRepository,
    SessionStream,
    ClusterEventRelay,
    SessionMetricsSubscriber,
    ...relanceMetricProviders,
    { provide: WhatsAppSocketFactory, useClass: BaileysSocketFactory },
    FileCredentialStore,
    MongoCredentialStore,
    {
      // WHATSAPP_AUTH_STORE picks the adapter; nothing else knows which one runs.
      provide: SessionCredentialStore,
      inject: [whatsappConfig.KEY, FileCredentialStore, MongoCredentialStore],
      useFactory: (
        config: ConfigType<typeof whatsappConfig>,
        files: FileCredentialStore,
        mongodb: MongoCredentialStore,
      ): SessionCredentialStore =>
        config.authStore === 'mongodb' ? mongodb : files,
    },
    { provide: SessionSender, useExisting: SessionSupervisor },
    { provide: SessionResets, useExisting: RelanceConfigRepository },
  ],
  exports: [
    SessionStatusReader,
    RestoreState,
    SessionRestoreService,
    SessionLifecycleService,
    SessionSupervisor,
    RelanceConfigRepository,
    RetryPolicy,
    SessionEvents,
    SessionCredentialStore,
    SessionSender,
    SessionResets,
    ReconnectScheduler,
  ],
})
export class RelanceModule {}
