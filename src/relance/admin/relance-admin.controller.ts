import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiRolesRequired, ApiUserAuth } from '../../auth/api-auth.decorator';
import { ADMIN_ROLE } from '../../auth/authenticated-user';
import { Roles } from '../../auth/roles.decorator';
import {
  ApiDatabaseUnavailableResponse,
  ApiErrorResponse,
} from '../../common/api-error-response.decorator';
import { RetryPolicy } from '../retry/retry-policy';
import { MAX_WINDOW_HOURS, StatsQueryDto } from './dto/stats-query.dto';
import {
  RelanceStatsResponseDto,
  STATS_RESPONSE_EXAMPLE,
} from './dto/stats-response.dto';
import { RelanceStatsRepository } from './relance-stats.repository';

const HOUR_MS = 3_600_000;

@ApiTags('relance admin')
@ApiUserAuth()
@ApiRolesRequired(ADMIN_ROLE)
@ApiDatabaseUnavailableResponse()
@Roles(ADMIN_ROLE)
@Controller('relance/admin')
export class RelanceAdminController {
  constructor(
    private readonly stats: RelanceStatsRepository,
    private readonly policy: RetryPolicy,
  ) {}

  @Get('stats')
  @ApiOperation({
    summary: 'Monitoring figures over every user (admin only)',
    description:
      'Average consecutive failure count, users one failure away from losing their session (with a page of their ids), users with a counted failure in the last `windowHours` hours, and users per stored status. Needs a token whose `roles` claim holds "admin". Unknown query parameters are ignored.',
  })
  @ApiOkResponse({
    description: 'The figures, computed now',
    type: RelanceStatsResponseDto,
    example: STATS_RESPONSE_EXAMPLE,
  })
  @ApiErrorResponse(400, {
    description:
      '`page` (1..100000), `limit` (1..100) or `windowHours` (1..720) is not a valid integer',
    message: [`windowHours must be at most ${MAX_WINDOW_HOURS}`],
  })
  async getStats(
    @Query() query: StatsQueryDto,
  ): Promise<RelanceStatsResponseDto> {
    const now = new Date();
    const since = new Date(now.getTime() - query.windowHours * HOUR_MS);
    const threshold = this.policy.atRiskFailureCount;
    const [users, failureSum, atRisk, recentFailures, byStatus] =
      await Promise.all([
        this.stats.countUsers(),
        this.stats.sumFailureCounts(),
        this.stats.findAtRisk(threshold, {
          skip: (query.page - 1) * query.limit,
          limit: query.limit,
        }),
        this.stats.countFailuresSince(since),
        this.stats.countByStatus(),
      ]);
    return {
      users,
      averageConnectionFailureCount: users === 0 ? 0 : failureSum / users,
      maxConnectionFailures: this.policy.maxConnectionFailures,
      atRisk: {
        threshold,
        count: atRisk.count,
        page: query.page,
        limit: query.limit,
        userIds: atRisk.userIds,
      },
      recentFailures: {
        windowHours: query.windowHours,
        since,
        count: recentFailures,
      },
      byStatus,
      generatedAt: now,
    };
  }
}
