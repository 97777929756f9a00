import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { ClusterModule } from './cluster/cluster.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { ConnectModule } from './connect/connect.module';
import { appConfig } from './config/app.config';
import { authConfig } from './config/auth.config';
import { connectPageConfig } from './config/connect-page.config';
import { databaseConfig } from './config/database.config';
import { loggingConfig } from './config/logging.config';
import { messagingConfig } from './config/messaging.config';
import { metricsConfig } from './config/metrics.config';
import { rateLimitConfig } from './config/rate-limit.config';
import { sseConfig } from './config/sse.config';
import { webhooksConfig } from './config/webhooks.config';
import { whatsappConfig } from './config/whatsapp.config';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { MessagingModule } from './messaging/messaging.module';
import { MetricsModule } from './metrics/metrics.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { RelanceModule } from './relance/relance.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      // Tests set their environment explicitly; a developer's .env must not leak in.
      ignoreEnvFile: process.env.NODE_ENV === 'test',
      load: [
        appConfig,
        authConfig,
        databaseConfig,
        whatsappConfig,
        rateLimitConfig,
        loggingConfig,
        metricsConfig,
        sseConfig,
        messagingConfig,
        webhooksConfig,
        connectPageConfig,
      ],
    }),
    LoggingModule,
    DatabaseModule,
    AuthModule,
    RateLimitModule,
    HealthModule,
    RelanceModule,
    MessagingModule,
    WebhooksModule,
    MetricsModule,
    ConnectModule,
    ClusterModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
})
export class AppModule {}
