import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RelanceModule } from '../relance/relance.module';
import { DeliveryCoordinator } from './delivery/delivery-coordinator';
import { DeliveryWakeUps } from './delivery/delivery-wake-ups';
import { MessageStatusNotifier } from './message-status.notifier';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';
import { messagingMetricProviders } from './messaging-metrics';
import { RelanceMessageRepository } from './relance-message.repository';
import {
  RelanceMessage,
  RelanceMessageSchema,
} from './schemas/relance-message.schema';

/**
 * Follow-up messages: the durable outbox and its delivery. It reaches the
 * session side only through SessionSender and the session event stream.
 */
@Module({
  imports: [
    RelanceModule,
    MongooseModule.forFeature([
      { name: RelanceMessage.name, schema: RelanceMessageSchema },
    ]),
  ],
  controllers: [MessagesController],
  providers: [
    RelanceMessageRepository,
    MessagesService,
    MessageStatusNotifier,
    DeliveryWakeUps,
    DeliveryCoordinator,
    ...messagingMetricProviders,
  ],
})
export class MessagingModule {}
