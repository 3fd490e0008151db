/**
 * Hookline's administration API under `/hookline/1/`: accounts (tenants), users and roles.
 * The route policy admits users holding `account-management:manage`. Everyone manages their own
 * account; the operator account (`default`) also creates, lists and deletes the others, and may
 * name another account's id where noted.
 */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Authenticator } from '../auth/authenticator.ts';
import type { Users } from '../auth/users.ts';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { registerRoleRoutes } from './role-routes.ts';
import { registerUserRoutes } from './user-routes.ts';

export interface AdminDeps {
  users: Users;
  /** Told about every change that ends credentials, so this process refuses them at once. */
  authenticator: Authenticator;
  db: Kysely<Database>;
  clock: Clock;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  registerAccountRoutes(app, deps);
  registerUserRoutes(app, deps);
  registerRoleRoutes(app, deps);
}
