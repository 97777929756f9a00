import { errorEnvelope, ErrorEnvelope } from '../../common/error-envelope';

const EXAMPLE_REQUEST_ID = '6f1c2d4e-8a8b-4c1e-9f3a-2b7d0c9e5a11';

/** What the shared error envelope looks like for one status and message, for Swagger. */
export function errorExample(
  statusCode: number,
  message: string | string[],
): ErrorEnvelope {
  return errorEnvelope(statusCode, message, EXAMPLE_REQUEST_ID);
}
