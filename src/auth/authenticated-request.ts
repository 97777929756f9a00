import type { FastifyRequest } from 'fastify';
import { AuthenticatedUser } from './authenticated-user';

export type AuthenticatedRequest = FastifyRequest & { user: AuthenticatedUser };
