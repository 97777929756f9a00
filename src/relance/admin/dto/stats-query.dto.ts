import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_STATS_PAGE_SIZE = 100;
export const MAX_WINDOW_HOURS = 720;
/** Keeps (page - 1) * limit a safe integer for MongoDB's skip (found by fuzzing: a huge page was a 500). */
export const MAX_STATS_PAGE = 100_000;

export class StatsQueryDto {
  @ApiPropertyOptional({
    description: 'Page of at-risk user ids, from 1',
    default: 1,
    minimum: 1,
    maximum: MAX_STATS_PAGE,
    example: 1,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be an integer' })
  @Min(1, { message: 'page must be at least 1' })
  @Max(MAX_STATS_PAGE, { message: `page must be at most ${MAX_STATS_PAGE}` })
  page: number = 1;

  @ApiPropertyOptional({
    description: `At-risk user ids per page (at most ${MAX_STATS_PAGE_SIZE})`,
    default: 20,
    minimum: 1,
    maximum: MAX_STATS_PAGE_SIZE,
    example: 20,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_STATS_PAGE_SIZE, {
    message: `limit must be at most ${MAX_STATS_PAGE_SIZE}`,
  })
  limit: number = 20;

  @ApiPropertyOptional({
    description:
      'Count users whose last counted failure is within this many hours',
    default: 24,
    minimum: 1,
    maximum: MAX_WINDOW_HOURS,
    example: 24,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'windowHours must be an integer' })
  @Min(1, { message: 'windowHours must be at least 1' })
  @Max(MAX_WINDOW_HOURS, {
    message: `windowHours must be at most ${MAX_WINDOW_HOURS}`,
  })
  windowHours: number = 24;
}
