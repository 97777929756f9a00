import { Injectable, Logger, LoggerService } from '@nestjs/common';

/**
 * Terminus logs every failed check as an error. Answering "not ready" is a
 * probe's normal work (during boot, while the database is away), and the
 * outage itself is logged where it happens, so it is a warning here.
 */
@Injectable()
export class HealthCheckLogger implements LoggerService {
  private readonly logger = new Logger('HealthCheck');

  log(message: unknown): void {
    this.logger.log(message);
  }

  warn(message: unknown): void {
    this.logger.warn(message);
  }

  error(message: unknown): void {
    this.logger.warn(message);
  }
}
