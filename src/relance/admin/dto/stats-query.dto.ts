import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageQueryDto } from '../../../common/dto/page-query.dto';

export const MAX_WINDOW_HOURS = 720;

/** A page of at-risk user ids, and the window of recent failures to count. */
export class StatsQueryDto extends PageQueryDto {
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
