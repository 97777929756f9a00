import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { LimitQueryDto } from './limit-query.dto';

/** Keeps (page - 1) * limit a safe integer for MongoDB's skip (found by fuzzing: a huge page was a 500). */
export const MAX_PAGE = 100_000;

/** `page` and `limit` of the admin listings that page with skip/limit. */
export class PageQueryDto extends LimitQueryDto {
  @ApiPropertyOptional({
    description: 'Page, from 1',
    default: 1,
    minimum: 1,
    maximum: MAX_PAGE,
    example: 1,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be an integer' })
  @Min(1, { message: 'page must be at least 1' })
  @Max(MAX_PAGE, { message: `page must be at most ${MAX_PAGE}` })
  page: number = 1;
}
