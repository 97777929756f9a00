import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { whatsappConfig } from '../config/whatsapp.config';

/** Up when the sessions folder exists (or can be made) and is writable. */
@Injectable()
export class SessionsDirHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  check(key: string) {
    return this.health.check(key).attempt(async () => {
      await mkdir(this.config.sessionsDir, { recursive: true, mode: 0o700 });
      await access(this.config.sessionsDir, constants.W_OK);
    });
  }
}
