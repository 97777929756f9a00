import type { NestFastifyApplication } from '@nestjs/platform-fastify';

const EXPLAINED_LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'is already in use by another process',
  EACCES: 'needs privileges this process does not have',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

/** The HTTP server cannot listen where HOST and PORT say. */
export class CannotListenError extends Error {
  constructor(host: string, port: number, why: string) {
    super(
      `Port ${port} on ${host} ${why}: stop whatever holds it, or set PORT (and HOST) to a free address.`,
    );
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
    const why = code ? EXPLAINED_LISTEN_ERRORS[code] : undefined;
    if (why) throw new CannotListenError(host, port, why);
    throw error;
  }
}
