import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';

const CHECKS_SCHEMA: ApiPropertyOptions = {
  type: 'object',
  description:
    "One entry per check, by name (`mongodb`, `sessionsDir`, `restore`); `restore` also carries the boot restore's progress (`running`, `total`, `done`) and is always up",
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
  },
};

type Checks = Record<
  string,
  { status: 'up' | 'down' } & Record<string, string | number | boolean>
>;

/** Terminus' body when every check is up. */
export class HealthResponseDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status: 'ok';

  @ApiProperty({ ...CHECKS_SCHEMA, description: 'The checks that are up' })
  info: Checks;

  @ApiProperty({ ...CHECKS_SCHEMA, description: 'The checks that are down' })
  error: Checks;

  @ApiProperty({ ...CHECKS_SCHEMA, description: 'Every check' })
  details: Checks;
}

const READY_CHECKS: Checks = {
  mongodb: { status: 'up' },
  sessionsDir: { status: 'up' },
  restore: { status: 'up', running: true, total: 250, done: 120 },
};

/** Real bodies of the health routes, for the OpenAPI examples. */
export const HEALTH_EXAMPLES = {
  ready: {
    status: 'ok',
    info: READY_CHECKS,
    error: {},
    details: READY_CHECKS,
  } satisfies HealthResponseDto,
  live: { status: 'ok', info: {}, error: {}, details: {} },
} satisfies Record<string, HealthResponseDto>;

const WHY_DOWN: Record<string, string> = {
  mongodb: 'the database does not answer',
  sessionsDir: 'the credential store does not take writes',
};

/** The 503 message: each check that is down and why, in our words (never a driver message with hosts in it). */
export function notReadyMessage(down: string[]): string[] {
  return down.map((name) =>
    WHY_DOWN[name] ? `${name}: ${WHY_DOWN[name]}` : `${name}: down`,
  );
}
