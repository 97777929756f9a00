import {
  ArgumentMetadata,
  Injectable,
  PipeTransform,
  ValidationPipe,
  ValidationPipeOptions,
} from '@nestjs/common';
import { validationException } from './validation-errors';

const SHARED: ValidationPipeOptions = {
  whitelist: true,
  transform: true,
  exceptionFactory: validationException,
};

/**
 * The one input rule of the API, the same on every route:
 * - bodies: unknown fields are refused with 400 (a typo in `force` must not
 *   silently keep a session);
 * - query strings: unknown parameters are ignored (dropped before the
 *   handler), as caches, proxies and EventSource clients add their own
 *   (`_=<timestamp>`, `lastEventId`); known ones are validated.
 */
@Injectable()
export class InputValidationPipe implements PipeTransform {
  private readonly strict = new ValidationPipe({
    ...SHARED,
    forbidNonWhitelisted: true,
  });
  private readonly lenient = new ValidationPipe({
    ...SHARED,
    forbidNonWhitelisted: false,
  });

  transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const pipe = metadata.type === 'query' ? this.lenient : this.strict;
    return pipe.transform(value, metadata) as Promise<unknown>;
  }
}
