import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export const MAX_PAGE_SIZE = 100;

/** `limit`: the page size every listing accepts, whether it pages with skip or with a cursor. */
export class LimitQueryDto {
  @ApiPropertyOptional({
    description: `Entries per page (at most ${MAX_PAGE_SIZE})`,
    default: 20,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    example: 20,
    type: 'integer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: 'limit must be at least 1' })
  @Max(MAX_PAGE_SIZE, { message: `limit must be at most ${MAX_PAGE_SIZE}` })
  limit: number = 20;
}
