/** The email API (infobip-email-openapi.json): send, pull reports, logs. */
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import type { Intake } from '../../messaging/intake.ts';
import type { Database } from '../../store/schema.ts';
import { registerEmailReportRoutes } from './report-routes.ts';
import { registerEmailSendRoute } from './send-route.ts';

export function registerEmailRoutes(app: FastifyInstance, deps: { intake: Intake; db: Kysely<Database>; clock: Clock; currency: string }): void {
  registerEmailSendRoute(app, deps);
  registerEmailReportRoutes(app, deps);
}
