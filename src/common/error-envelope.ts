import { STATUS_CODES } from 'node:http';

/** The one JSON shape every error response has. */
export interface ErrorEnvelope {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId: string;
}

export function errorEnvelope(
  statusCode: number,
  message: string | string[],
  requestId: string,
): ErrorEnvelope {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    requestId,
  };
}
