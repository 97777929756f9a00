import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetricsHook, httpRequestDurationProvider } from './http-metrics';
import { MetricsAccessGuard } from './metrics-access.guard';
import { MetricsController } from './metrics.controller';

export const METRICS_PATH = 'metrics';

/** GET /metrics via @willsoto/nestjs-prometheus, plus the HTTP duration histogram. */
@Module({
  imports: [
    PrometheusModule.register({
      path: `/${METRICS_PATH}`,
      controller: MetricsController,
      defaultMetrics: { enabled: true },
    }),
  ],
  providers: [MetricsAccessGuard, httpRequestDurationProvider, HttpMetricsHook],
})
export class MetricsModule {}
