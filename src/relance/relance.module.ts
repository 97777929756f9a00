import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
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
import { DatabaseRetry } from './session/database-retry';
import {
  LifecycleTelemetry,
  NoopLifecycleTelemetry,
} from './session/lifecycle-telemetry';
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
  controllers: [RelanceController],
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
    RestoreState,
    SessionRestoreService,
    SessionShutdownService,
    { provide: WhatsAppSocketFactory, useClass: BaileysSocketFactory },
    { provide: LifecycleTelemetry, useClass: NoopLifecycleTelemetry },
  ],
  exports: [
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
