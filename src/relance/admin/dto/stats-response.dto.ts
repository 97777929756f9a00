import { ApiProperty } from '@nestjs/swagger';

export class AtRiskUsersDto {
  @ApiProperty({
    example: 2,
    description:
      'Users at or above this consecutive failure count are at risk: one more counted failure deletes their session (WHATSAPP_MAX_CONNECTION_FAILURES − 1)',
  })
  threshold: number;

  @ApiProperty({ example: 3, description: 'How many users are at risk' })
  count: number;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty({
    type: [String],
    example: ['user_17', 'user_42', 'user_9'],
    description: 'This page of at-risk user ids, sorted',
  })
  userIds: string[];
}

export class RecentFailuresDto {
  @ApiProperty({ example: 24 })
  windowHours: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-27T10:15:00.000Z',
    description: 'Start of the window',
  })
  since: Date;

  @ApiProperty({
    example: 5,
    description: 'Users whose last counted failure is within the window',
  })
  count: number;
}

export class StatusCountsDto {
  @ApiProperty({ example: 120 })
  connected: number;

  @ApiProperty({ example: 3 })
  connecting: number;

  @ApiProperty({ example: 1 })
  awaiting_qr: number;

  @ApiProperty({ example: 0 })
  awaiting_pairing: number;

  @ApiProperty({ example: 14 })
  disconnected: number;
}

export class RelanceStatsResponseDto {
  @ApiProperty({ example: 138, description: 'Users with a stored record' })
  users: number;

  @ApiProperty({
    example: 0.42,
    description:
      'Average consecutive failure count over all users (0 when there are none)',
  })
  averageConnectionFailureCount: number;

  @ApiProperty({ example: 3, description: 'WHATSAPP_MAX_CONNECTION_FAILURES' })
  maxConnectionFailures: number;

  @ApiProperty({ type: AtRiskUsersDto })
  atRisk: AtRiskUsersDto;

  @ApiProperty({ type: RecentFailuresDto })
  recentFailures: RecentFailuresDto;

  @ApiProperty({
    type: StatusCountsDto,
    description:
      'Users by stored status (the last status written, across all instances)',
  })
  byStatus: StatusCountsDto;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-28T10:15:00.000Z',
  })
  generatedAt: Date;
}

/** A real body of GET /admin/stats, for the OpenAPI example. */
export const STATS_RESPONSE_EXAMPLE = {
  users: 138,
  averageConnectionFailureCount: 0.42,
  maxConnectionFailures: 3,
  atRisk: {
    threshold: 2,
    count: 3,
    page: 1,
    limit: 20,
    userIds: ['user_17', 'user_42', 'user_9'],
  },
  recentFailures: {
    windowHours: 24,
    since: new Date('2026-11-27T10:15:00.000Z'),
    count: 5,
  },
  byStatus: {
    connected: 120,
    connecting: 3,
    awaiting_qr: 1,
    awaiting_pairing: 1,
    disconnected: 14,
  },
  generatedAt: new Date('2026-11-28T10:15:00.000Z'),
} satisfies RelanceStatsResponseDto;
