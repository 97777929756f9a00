import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SessionCredentialStore } from '../relance/credentials/session-credential-store';

/** Up when the credential store takes writes (the sessions folder, or MongoDB). */
@Injectable()
export class SessionsDirHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly credentials: SessionCredentialStore,
  ) {}

  check(key: string) {
    return this.health
      .check(key)
      .attempt(() => this.credentials.assertWritable());
  }
}
