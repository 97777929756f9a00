import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The usual reasons `listen` fails, each with what to do about it. */
const EXPLAINED_LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE:
    'is already in use by another process: stop it, or set PORT to a free port',
  EACCES:
    'needs privileges this process does not have: set PORT to 1024 or above',
  EADDRNOTAVAIL:
    'is not on an address of this machine: set HOST to one of its addresses, or 0.0.0.0',
};

/** The HTTP server cannot listen where HOST and PORT say. */
export class CannotListenError extends Error {
  constructor(host: string, port: number, explanation: string) {
    super(`Port ${port} on ${host} ${explanation}.`);
    this.name = 'CannotListenError';
  }
}

/** Listens, turning the usual socket errors into one sentence; resolves with the port it got (PORT=0 picks one). */
export async function listen(
  app: NestFastifyApplication,
  host: string,
  port: number,
): Promise<{ port: number }> {
  try {
    await app.listen({ host, port });
    const address = app.getHttpServer().address();
    return {
      port: typeof address === 'object' && address ? address.port : port,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const explanation = code ? EXPLAINED_LISTEN_ERRORS[code] : undefined;
    if (explanation) throw new CannotListenError(host, port, explanation);
    throw error;
  }
}
