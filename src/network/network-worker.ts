/**
 * Runs the network's due work: claims due jobs, asks the connector what happens, and in the
 * same transaction removes the jobs, schedules the connector's next steps, moves messages on to
 * their next failover channel, and records the resulting reports, engagements and replies.
 * A crash before commit leaves the jobs in place to run again.
 */
import { sql, type Kysely } from 'kysely';
import { recordEngagements } from '../events/engagements.ts';
import { recordInbound } from '../events/inbound-recorder.ts';
import { recordEvents, type ReportObserver, type StatusCounts } from '../events/recorder.ts';
import type { SubscriberLookup } from '../events/routing.ts';
import type { EngagementEventInput, StatusEvent } from '../events/status-event.ts';
import { newMessageId } from '../lib/ids.ts';
import type { PassResult } from '../lib/worker-loop.ts';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import type { Database, MessageRow, NetworkStep, NewNetworkJob } from '../store/schema.ts';
import type { Connector, ExternalNetwork } from './connector.ts';
import { emailTrackingOf } from './email-tracking.ts';
import { failoverStepsOf, moveToNextChannel, replyTo } from './message-moves.ts';

export interface NetworkWorkerDeps {
  db: Kysely<Database>;
  profile: DialectProfile;
  connector: Connector;
  /** Takes the messages a connector hands over to an external network (SMPP). */
  external?: ExternalNetwork;
  batchSize: number;
  subscribers: SubscriberLookup;
  /** Called after a commit that recorded reports, so the dispatcher can look at once. */
  onReports: () => void;
  /** Told after commit how many reports each pass recorded (metrics). */
  reports?: ReportObserver;
}

/** The message columns a network step needs; whole rows (text, options, …) made this the pass's costliest read. */
const NETWORK_COLUMNS = ['pk', 'account_id', 'bulk_id', 'state', 'destination', 'parts', 'validity_ms', 'sent_at', 'mcc_mnc', 'channel', 'failover'] as const;
type NetworkRow = Pick<MessageRow, (typeof NETWORK_COLUMNS)[number]>;

/** Steps that deliver the message; the others (engagements, a reply) come after its final report. */
const DELIVERY_STEPS: ReadonlySet<NetworkStep> = new Set(['submit', 'failover', 'final', 'expire', 'validity']);
/** Steps that hand the message to the network: it is (re)sent now. */
const SENDING_STEPS: ReadonlySet<NetworkStep> = new Set(['submit', 'failover']);


export function createNetworkPass(deps: NetworkWorkerDeps): (now: number) => Promise<PassResult> {
  const { db, profile, connector, batchSize } = deps;

  return async function networkPass(now: number): Promise<PassResult> {
    const { claimed, pushed, byStatusId, afterCommit } = await db.transaction().execute(async (trx) => {
      let claim = trx
        .selectFrom('network_jobs')
        .select(['id', 'message_pk', 'step'])
        .where('due_at', '<=', now)
        .orderBy('due_at')
        .orderBy('id')
        .limit(batchSize);
      if (profile.skipLocked) claim = claim.forUpdate().skipLocked();
      const jobs = await claim.execute();
      if (jobs.length === 0) return { claimed: 0, pushed: 0, byStatusId: new Map() as StatusCounts, afterCommit: null };

      const messages = new Map<number, NetworkRow>();
      for (const chunk of chunkRows(jobs, profile)) {
        const rows = await trx
          .selectFrom('messages')
          .select(NETWORK_COLUMNS)
          .where('pk', 'in', chunk.map((j) => j.message_pk))
          .execute();
        for (const row of rows) messages.set(row.pk, row);
      }
      const tracking = await emailTrackingOf(trx, profile, [...messages.values()].filter((m) => m.channel === 'EMAIL').map((m) => m.pk));

      const events: StatusEvent[] = [];
      const engagements: EngagementEventInput[] = [];
      const replies: Array<{ pk: number; reply: { text: string; currency: string } }> = [];
      const failovers: NetworkRow[] = [];
      const submitted: number[] = [];
      const nextJobs: NewNetworkJob[] = [];
      const handovers: Array<{ pk: number; connection: string }> = [];
      for (const job of jobs) {
        const message = messages.get(job.message_pk);
        if (!message || message.state === 'CANCELED') continue;
        if (message.state === 'FINAL' && DELIVERY_STEPS.has(job.step)) continue;
        const sending = SENDING_STEPS.has(job.step);
        const sentAt = sending ? now : message.sent_at;
        if (sending) submitted.push(message.pk);
        const outcome = connector.handle(
          job.step,
          {
            pk: message.pk,
            destination: message.destination,
            parts: message.parts,
            validityMs: Number(message.validity_ms),
            sentAt,
            mccMnc: message.mcc_mnc,
            channel: message.channel,
            failoverLeft: failoverStepsOf(message.failover).length,
            emailTracking: tracking.get(message.pk) ?? null,
          },
          now,
        );
        for (const e of outcome.events) {
          events.push({ messagePk: message.pk, ...e, doneAt: now, mccMnc: message.mcc_mnc, channel: message.channel });
        }
        for (const e of outcome.engagements ?? []) engagements.push({ messagePk: message.pk, event: e.event, occurredAt: now, url: e.url });
        if (outcome.reply) replies.push({ pk: message.pk, reply: outcome.reply });
        if (outcome.failover) failovers.push(message);
        if (outcome.handover) handovers.push({ pk: message.pk, connection: outcome.handover.connection });
        if (outcome.next) {
          nextJobs.push({ account_id: message.account_id, message_pk: message.pk, bulk_id: message.bulk_id, step: outcome.next.step, due_at: outcome.next.dueAt });
        }
      }

      for (const chunk of chunkRows(jobs, profile)) {
        await trx.deleteFrom('network_jobs').where('id', 'in', chunk.map((j) => j.id)).execute();
      }
      for (const chunk of chunkRows(submitted.map((pk) => ({ pk })), profile)) {
        await trx
          .updateTable('messages')
          .set({ sent_at: now, state: sql<'SUBMITTED'>`case when state = 'SCHEDULED' then 'SUBMITTED' else state end` })
          .where('pk', 'in', chunk.map((c) => c.pk))
          .execute();
      }
      for (const chunk of chunkRows(nextJobs, profile)) await trx.insertInto('network_jobs').values(chunk).execute();
      const afterCommit = handovers.length && deps.external ? await deps.external.handOver(trx, handovers, now) : null;
      const recorded = await recordEvents(trx, profile, events, now, deps.subscribers);
      // After the reports: a failover step's report names the channel that failed, not the next one.
      for (const message of failovers) await moveToNextChannel(trx, message.pk, message.failover);
      const engaged = await recordEngagements(trx, profile, engagements, now, deps.subscribers);
      let repliesPushed = 0;
      for (const reply of replies) {
        const input = await replyTo(trx, reply.pk, reply.reply, newMessageId(), now);
        if (input && (await recordInbound(trx, input, now, deps.subscribers)).route === 'push') repliesPushed++;
      }
      return { claimed: jobs.length, pushed: recorded.pushed + engaged.pushed + repliesPushed, byStatusId: recorded.byStatusId, afterCommit };
    });
    afterCommit?.();
    if (pushed > 0) deps.onReports();
    deps.reports?.reportsRecorded(byStatusId);
    if (claimed === batchSize) return { more: true, nextDueAt: null };
    const next = await db.selectFrom('network_jobs').select((eb) => eb.fn.min('due_at').as('due')).executeTakeFirst();
    return { more: false, nextDueAt: next?.due == null ? null : Number(next.due) };
  };
}
