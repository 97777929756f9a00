import { Module } from '@nestjs/common';
import { ConfigModule, ConfigType } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { clusterConfig } from '../config/cluster.config';
import { InstanceHeartbeatService } from './instance-heartbeat';
import { LeaseOwnership } from './ownership/lease-ownership';
import { SessionOwnership } from './ownership/session-ownership';
import { SingleInstanceOwnership } from './ownership/single-instance-ownership';
import {
  InstanceHeartbeat,
  InstanceHeartbeatSchema,
} from './schemas/instance-heartbeat.schema';
import {
  SessionLease,
  SessionLeaseSchema,
} from './schemas/session-lease.schema';
import { SessionLeaseRepository } from './session-lease.repository';

/**
 * Several instances over one database (WHATSAPP_CLUSTER=on): heartbeats,
 * per-user leases and the SessionOwnership they give. With the default
 * `off` the single-instance adapter owns every session and nothing runs.
 */
@Module({
  imports: [
    ConfigModule.forFeature(clusterConfig),
    MongooseModule.forFeature([
      { name: SessionLease.name, schema: SessionLeaseSchema },
      { name: InstanceHeartbeat.name, schema: InstanceHeartbeatSchema },
    ]),
  ],
  providers: [
    InstanceHeartbeatService,
    SessionLeaseRepository,
    SingleInstanceOwnership,
    {
      provide: SessionOwnership,
      inject: [
        clusterConfig.KEY,
        SessionLeaseRepository,
        InstanceHeartbeatService,
      ],
      // Built only when enabled, so the keeper's timer never exists on a single instance.
      useFactory: (
        config: ConfigType<typeof clusterConfig>,
        leases: SessionLeaseRepository,
        heartbeats: InstanceHeartbeatService,
      ): SessionOwnership =>
        config.enabled
          ? new LeaseOwnership(leases, heartbeats, config)
          : new SingleInstanceOwnership(),
    },
  ],
  exports: [InstanceHeartbeatService, SessionLeaseRepository, SessionOwnership],
})
export class ClusterModule {}
