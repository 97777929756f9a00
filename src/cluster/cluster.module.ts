import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { clusterConfig } from '../config/cluster.config';
import { InstanceHeartbeatService } from './instance-heartbeat';
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
 * Several instances over one database (WHATSAPP_CLUSTER=on): heartbeats and
 * per-user leases. With the default `off` it starts nothing.
 */
@Module({
  imports: [
    ConfigModule.forFeature(clusterConfig),
    MongooseModule.forFeature([
      { name: SessionLease.name, schema: SessionLeaseSchema },
      { name: InstanceHeartbeat.name, schema: InstanceHeartbeatSchema },
    ]),
  ],
  providers: [InstanceHeartbeatService, SessionLeaseRepository],
  exports: [InstanceHeartbeatService, SessionLeaseRepository],
})
export class ClusterModule {}
