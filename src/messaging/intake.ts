/**
 * SMS intake: validate a normalized request, decide each destination's fate, and persist the
 * whole request in ONE transaction — messages, their network work, and the final reports of
 * rejected destinations. Only after commit is the client answered 200.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import { ApiError, badRequest, type Violation } from '../http/errors.ts';
import { recordEvents, type RecordResult, type ReportObserver } from '../events/recorder.ts';
import type { SubscriberLookup } from '../events/routing.ts';
import type { StatusEvent } from '../events/status-event.ts';
import { mccMncFor } from '../network/mcc-mnc.ts';
import { rewriteLinks, shortLinkRows, type LinkTracking, type ShortLink } from '../clicks/tracking.ts';
import { chunkRows, type DialectProfile } from '../store/database.ts';
import { retryTransaction } from '../store/transient.ts';
import type { ApiFamily, Database, NewMessage, NewNetworkJob, ShortLinksTable } from '../store/schema.ts';
import { checkTargetUrl, resolveTarget, TargetRefused, type TargetPolicy } from '../webhooks/target-safety.ts';
import { destinationProblem, normalizeDestination } from './destination.ts';
import type { FailoverStep, OutboundDraft, OutboundRequest } from './outbound.ts';
import { isTooLong, segment } from './segmentation.ts';
import { ERROR, STATUS } from './status-catalogue.ts';

const DUPLICATE_WINDOW_MS = 48 * 3_600_000;
/**
 * Each destination's message row holds its own copy of the content (text and options), so a
 * request's stored size is its content times its destinations. Past this budget the request is
 * refused before anything is built, rather than letting one request exhaust the process's memory.
 */
export const MAX_STORED_BYTES_PER_REQUEST = 32 * 1024 * 1024;
const URL_CHECK_CACHE_MS = 60_000;

export interface IntakeResult {
  bulkId: string;
  items: Array<{ to: string; messageId: string; statusId: number; parts: number }>;
}

/** Told after commit what intake stored (metrics implement it). */
export interface IntakeObserver extends ReportObserver {
  /** Messages accepted for sending (status PENDING_ACCEPTED), by API family. */
  messagesAccepted(api: ApiFamily, count: number): void;
}

export interface IntakeDeps {
  /** Where rejected destinations' final reports go when no webhook URL is given. */
  subscribers: SubscriberLookup;
  db: Kysely<Database>;
  profile: DialectProfile;
  targetPolicy: TargetPolicy;
  onAccepted: () => void;
  /** PUBLIC_BASE_URL (no trailing slash): where tracked links point (`/t/{code}`). */
  publicBaseUrl: () => string;
  observer?: IntakeObserver;
}

const isSms = (draft: Pick<OutboundDraft, 'channel'>) => (draft.channel ?? 'SMS') === 'SMS';

/** Too long for SMS where it would go out as SMS: as sent, or as an SMS failover step. */
function tooLongForSms(draft: OutboundDraft): boolean {
  if (isSms(draft) && !draft.binary && isTooLong(draft.text)) return true;
  return (draft.failover ?? []).some((step) => step.channel === 'SMS' && isTooLong(step.text ?? draft.text));
}

/** Refuses a request whose rows would hold more than MAX_STORED_BYTES_PER_REQUEST of content. */
function checkStoredSize(drafts: OutboundDraft[]): void {
  // Destinations of one message share their options object: each distinct one is measured once.
  const optionBytes = new Map<object, number>();
  let bytes = 0;
  for (const d of drafts) {
    let options = 0;
    if (d.options) {
      options = optionBytes.get(d.options) ?? JSON.stringify(d.options).length;
      optionBytes.set(d.options, options);
    }
    bytes += d.text.length + options;
    if (bytes > MAX_STORED_BYTES_PER_REQUEST) {
      throw badRequest([{ property: 'messages', violation: `stores more than ${MAX_STORED_BYTES_PER_REQUEST / 1024 / 1024} MiB of content (its content once per destination): send it to fewer destinations per request` }]);
    }
  }
}

/** A tracked draft's short links, kept until its message has a pk. */
type DraftLinks = Map<string, { tracking: LinkTracking; links: ShortLink[] }>;

/** SMS parts; a message on any other channel is one message whatever its length. */
export function partsOf(draft: Pick<OutboundDraft, 'text' | 'binary' | 'channel'>): number {
  if (!isSms(draft)) return 1;
  if (!draft.binary) return segment(draft.text).parts;
  const bytes = draft.text.length / 2;
  return bytes <= 140 ? 1 : Math.ceil(bytes / 134);
}

export class Intake {
  private urlChecks = new Map<string, { problem: string | null; until: number }>();

  constructor(private readonly deps: IntakeDeps) {}

  /** `caller`: the account the messages belong to, and the user who sent them (for subscriptions' `users`). */
  async accept(caller: { accountId: string; username: string | null }, request: OutboundRequest, now: number): Promise<IntakeResult> {
    const { accountId } = caller;
    checkStoredSize(request.drafts);
    await this.checkWebhookUrls(request.drafts, now);
    // The duplicate check and the inserts share one transaction, so two concurrent requests
    // cannot both claim the same client messageId.
    const { items, stored, accepted, recorded } = await retryTransaction(() =>
      this.deps.db.transaction().execute(async (trx) => {
        const duplicates = await this.findDuplicates(trx, accountId, request.drafts, now);
        return this.decideAndPersist(trx, caller, request, duplicates, now);
      }),
    );
    if (stored > 0) this.deps.onAccepted();
    if (accepted > 0) this.deps.observer?.messagesAccepted(request.family, accepted);
    if (recorded) this.deps.observer?.reportsRecorded(recorded.byStatusId);
    return { bulkId: request.bulkId, items };
  }

  private async decideAndPersist(trx: Transaction<Database>, caller: { accountId: string; username: string | null }, request: OutboundRequest, duplicates: Set<string>, now: number) {
    const { accountId } = caller;
    const items: IntakeResult['items'] = [];
    const accepted: NewMessage[] = [];
    const rejected: NewMessage[] = [];
    const seen = new Set<string>();
    const links: DraftLinks = new Map();
    for (const original of request.drafts) {
      // Tracked URLs are rewritten first: the stored text, its parts and its length check are the rewritten ones.
      const shortened = original.linkTracking ? rewriteLinks(original.text, this.deps.publicBaseUrl(), original.linkTracking.removeProtocol) : null;
      const draft = shortened ? { ...original, text: shortened.text } : original;
      const parts = partsOf(draft);
      const duplicate = draft.clientMessageId !== undefined && (duplicates.has(draft.clientMessageId) || seen.has(draft.clientMessageId));
      if (draft.clientMessageId !== undefined) seen.add(draft.clientMessageId);
      const statusId = duplicate
        ? STATUS.REJECTED_DUPLICATE_MESSAGE_ID
        : (destinationProblem(draft.to, draft.channel) ?? (tooLongForSms(draft) ? STATUS.REJECTED_MESSAGE_TOO_LONG : STATUS.PENDING_ACCEPTED));
      items.push({ to: draft.to, messageId: draft.messageId, statusId, parts });
      if (duplicate) continue; // a duplicate is refused outright: no row, no report
      if (shortened?.links.length) links.set(draft.messageId, { tracking: draft.linkTracking!, links: shortened.links });
      const row = this.toRow(caller, request, draft, parts, statusId, now);
      (statusId === STATUS.PENDING_ACCEPTED ? accepted : rejected).push(row);
    }

    const recorded = await this.persist(trx, accountId, request, accepted, rejected, now, links);
    return { items, stored: accepted.length + rejected.length, accepted: accepted.length, recorded };
  }

  private toRow(caller: { accountId: string; username: string | null }, request: OutboundRequest, d: OutboundDraft, parts: number, statusId: number, now: number): NewMessage {
    const channel = d.channel ?? 'SMS';
    const destination = normalizeDestination(d.to, channel);
    const isAccepted = statusId === STATUS.PENDING_ACCEPTED;
    return {
      account_id: caller.accountId,
      username: caller.username,
      message_id: d.messageId,
      bulk_id: request.bulkId,
      family: request.family,
      destination: isAccepted ? destination : d.to,
      sender: d.sender,
      text: d.text,
      parts,
      notify_url: d.notifyUrl,
      content_type: d.contentType,
      notify: d.notify ? 1 : 0,
      intermediate: d.intermediate ? 1 : 0,
      callback_data: d.callbackData,
      validity_ms: d.validityMs,
      send_at: d.sendAt,
      entity_id: d.entityId,
      application_id: d.applicationId,
      campaign_reference_id: d.campaignReferenceId,
      options: d.options ? JSON.stringify(d.options) : null,
      mcc_mnc: isAccepted && channel !== 'EMAIL' ? mccMncFor(destination) : null,
      state: isAccepted ? (d.sendAt ? 'SCHEDULED' : 'SUBMITTED') : 'REJECTED',
      status_id: statusId,
      error_id: ERROR.NO_ERROR,
      created_at: now,
      sent_at: null,
      done_at: null,
      channel,
      engagement_url: d.engagementUrl ?? null,
      // Failover destinations are normalized like the first one: the message becomes each step in turn.
      failover: d.failover?.length ? JSON.stringify(d.failover.map((step) => this.failoverStep(d, step))) : null,
      failover_reports: d.failoverReports ? 1 : 0,
    };
  }

  /** A step as the network will become it: its destination normalized like the first one, its parts counted on its channel. */
  private failoverStep(d: OutboundDraft, step: FailoverStep): FailoverStep {
    const text = step.text ?? d.text;
    return { ...step, to: normalizeDestination(step.to, step.channel), parts: partsOf({ text, binary: false, channel: step.channel }) };
  }

  /** Returns what the event recorder recorded (the rejected destinations' final reports), if anything was stored. */
  private async persist(trx: Transaction<Database>, accountId: string, request: OutboundRequest, accepted: NewMessage[], rejected: NewMessage[], now: number, links: DraftLinks): Promise<RecordResult | null> {
    const { profile } = this.deps;
    if (accepted.length + rejected.length === 0) return null;
    await trx
      .insertInto('bulks')
      .values({ account_id: accountId, bulk_id: request.bulkId, send_at: request.sendAt, status: null, created_at: now })
      // Reusing a bulkId adds to that bulk; a new schedule replaces the old one, no schedule keeps it.
      .onConflict((oc) => (request.sendAt === null ? oc.columns(['account_id', 'bulk_id']).doNothing() : oc.columns(['account_id', 'bulk_id']).doUpdateSet({ send_at: request.sendAt })))
      .execute();
    const jobs: NewNetworkJob[] = [];
    const linkRows: Insertable<ShortLinksTable>[] = [];
    const addLinks = (pk: number, messageId: string) => {
      const tracked = links.get(messageId);
      if (tracked) linkRows.push(...shortLinkRows(accountId, pk, tracked.tracking, tracked.links, now));
    };
    for (const chunk of chunkRows(accepted, profile)) {
      const rows = await trx.insertInto('messages').values(chunk).returning(['pk', 'send_at', 'message_id']).execute();
      for (const row of rows) {
        addLinks(Number(row.pk), row.message_id);
        jobs.push({ account_id: accountId, message_pk: Number(row.pk), bulk_id: request.bulkId, step: 'submit', due_at: row.send_at === null ? now : Number(row.send_at) });
      }
    }
    for (const chunk of chunkRows(jobs, profile)) await trx.insertInto('network_jobs').values(chunk).execute();

    const events: StatusEvent[] = [];
    for (const chunk of chunkRows(rejected, profile)) {
      const pks = await trx.insertInto('messages').values(chunk).returning(['pk', 'status_id', 'message_id', 'channel']).execute();
      for (const row of pks) {
        addLinks(Number(row.pk), row.message_id);
        events.push({ messagePk: Number(row.pk), statusId: row.status_id, errorId: ERROR.NO_ERROR, final: true, doneAt: now, pricePerMessage: 0, currency: 'EUR', mccMnc: null, channel: row.channel });
      }
    }
    for (const chunk of chunkRows(linkRows, profile)) await trx.insertInto('short_links').values(chunk).execute();
    return recordEvents(trx, profile, events, now, this.deps.subscribers);
  }

  private async findDuplicates(trx: Transaction<Database>, accountId: string, drafts: OutboundDraft[], now: number): Promise<Set<string>> {
    const ids = [...new Set(drafts.map((d) => d.clientMessageId).filter((id): id is string => id !== undefined))];
    const found = new Set<string>();
    for (const chunk of chunkRows(ids.map((id) => ({ id })), this.deps.profile)) {
      const rows = await trx
        .selectFrom('messages')
        .select('message_id')
        .where('account_id', '=', accountId)
        .where('message_id', 'in', chunk.map((c) => c.id))
        .where('created_at', '>', now - DUPLICATE_WINDOW_MS)
        .execute();
      for (const row of rows) found.add(row.message_id);
    }
    return found;
  }

  /** Refuses the whole request if any webhook URL may not be used (checked again at delivery). */
  private async checkWebhookUrls(drafts: OutboundDraft[], now: number): Promise<void> {
    const violations: Violation[] = [];
    const byUrl = new Map<string, string>();
    for (const d of drafts) {
      if (d.notifyUrl && !byUrl.has(d.notifyUrl)) byUrl.set(d.notifyUrl, d.notifyUrlPath);
      if (d.engagementUrl && !byUrl.has(d.engagementUrl)) byUrl.set(d.engagementUrl, d.engagementUrlPath ?? d.notifyUrlPath);
    }
    for (const [url, property] of byUrl) {
      const problem = await this.urlProblem(url, now);
      if (problem) violations.push({ property, violation: problem });
    }
    // A click trackingUrl is checked without DNS (clicks come long after the send; every delivery checks it again).
    const tracking = new Map(drafts.flatMap((d) => (d.linkTracking?.trackingUrl ? [[d.linkTracking.trackingUrl, d.linkTracking.trackingUrlPath] as const] : [])));
    for (const [url, property] of tracking) {
      try {
        checkTargetUrl(url, this.deps.targetPolicy);
      } catch (error) {
        if (!(error instanceof TargetRefused)) throw error;
        violations.push({ property, violation: `is not an allowed webhook URL: ${error.message}` });
      }
    }
    if (violations.length) throw badRequest(violations);
  }

  private async urlProblem(url: string, now: number): Promise<string | null> {
    const cached = this.urlChecks.get(url);
    if (cached && cached.until > now) return cached.problem;
    let problem: string | null = null;
    try {
      await resolveTarget(checkTargetUrl(url, this.deps.targetPolicy), this.deps.targetPolicy);
    } catch (error) {
      if (!(error instanceof TargetRefused)) throw new ApiError('GENERAL_ERROR');
      problem = `is not an allowed webhook URL: ${error.message}`;
    }
    if (this.urlChecks.size > 10_000) this.urlChecks.clear();
    this.urlChecks.set(url, { problem, until: now + URL_CHECK_CACHE_MS });
    return problem;
  }
}
