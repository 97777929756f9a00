import { ApiProperty } from '@nestjs/swagger';

/** The shared error envelope, for the OpenAPI document. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['force must be a boolean (true or false)'],
  })
  message: string | string[];

  @ApiProperty({
    example: '6f1c2d4e-8a8b-4c1e-9f3a-2b7d0c9e5a11',
    description: 'Also in the logs and the X-Request-Id header',
  })
  requestId: string;
}
