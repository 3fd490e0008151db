/**
 * Hookline's Prometheus metrics. Each Metrics owns its own prom-client Registry (never the global
 * one), so several gateways in one process (the tests) keep separate counts.
 *
 * Counters and histograms are in-process: each process counts what it did itself (its intake,
 * its network passes, its dispatcher's attempts), and Prometheus sums them across processes.
 * Gauges read from the database at scrape time describe the shared database instead: every
 * process reports the same value, so aggregate those with max().
 *
 * It implements the observers the work reports to: intake (IntakeObserver), the event recorder's
 * callers (ReportObserver) and the dispatcher (DispatchObserver).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.ts';
import type { StatusCounts } from '../events/recorder.ts';
import type { IntakeObserver } from '../messaging/intake.ts';
import type { SmppConnectionStatus } from '../network/smpp/smpp-config.ts';
import { statusById } from '../messaging/status-catalogue.ts';
import type { ApiFamily, Database } from '../store/schema.ts';
import type { AttemptOutcome, DispatchObserver } from '../webhooks/observer.ts';
import { OUTBOX_STATES, readSnapshot, WAITING_DELIVERY_STATES, type DatabaseSnapshot } from './database-gauges.ts';
import { targetLabeller } from './labels.ts';

/** Event → 2xx: seconds on a good day, up to the 41.5-hour retry cycle on a bad one. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3_600, 4 * 3_600, 12 * 3_600, 48 * 3_600];
/** One request: bounded by the connect and read timeouts (seconds by default). */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * A status id's group name. Told after the reports committed, so an id the catalogue does not know
 * (it cannot happen today) is counted as UNKNOWN rather than failing the request that recorded it.
 */
function groupOf(statusId: number): string {
  try {
    return statusById(statusId).groupName;
  } catch {
    return 'UNKNOWN';
  }
}

export class Metrics implements IntakeObserver, DispatchObserver {
  readonly registry = new Registry();

  private readonly acceptedTotal = new Counter({
    name: 'hookline_messages_accepted_total',
    help: 'Messages accepted at intake for sending, by API family (sms-v2, sms-v3)',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  private readonly reportsTotal = new Counter({
    name: 'hookline_reports_total',
    help: 'Delivery reports recorded, by Infobip status group (PENDING, DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED)',
    labelNames: ['status_group'] as const,
    registers: [this.registry],
  });
  private readonly attemptsTotal = new Counter({
    name: 'hookline_webhook_attempts_total',
    help: 'Webhook attempts finished, by target and outcome (delivered, or the error class: http-status, timeout, connect, dns, tls, reset, blocked)',
    labelNames: ['target', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly droppedTotal = new Counter({
    name: 'hookline_webhook_deliveries_dropped_total',
    help: 'Webhook deliveries dropped (attempts exhausted, or the target answered 410), by target',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });
  private readonly transitionsTotal = new Counter({
    name: 'hookline_webhook_target_transitions_total',
    help: "Targets' breaker opening or closing, or a 410 disabling them, by target and new state",
    labelNames: ['target', 'state'] as const,
    registers: [this.registry],
  });
  private readonly deliveryLatency = new Histogram({
    name: 'hookline_webhook_delivery_latency_seconds',
    help: 'From the earliest event a delivery carried being recorded to its 2xx, by target',
    labelNames: ['target'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly attemptDuration = new Histogram({
    name: 'hookline_webhook_attempt_duration_seconds',
    help: 'Duration of one webhook request, by target',
    labelNames: ['target'] as const,
    buckets: ATTEMPT_BUCKETS,
    registers: [this.registry],
  });

  /** The `target` label, with URL hosts capped (labels.ts). */
  private readonly label = targetLabeller();

  /** One database read per scrape, shared by every gauge that needs it (see snapshot()). */
  private pendingSnapshot: Promise<DatabaseSnapshot | null> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    /** The gateway's clock: "paused until" is compared with its now. */
    private readonly clock: Clock,
    private readonly log?: Logger,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const metrics = this;
    new Gauge({
      name: 'hookline_metrics_database_ok',
      help: 'Whether this scrape could read the database gauges below (1) or not (0: they are left out)',
      registers: [this.registry],
      async collect() {
        this.set((await metrics.snapshot()) ? 1 : 0);
      },
    });
    this.databaseGauge('hookline_outbox_depth', 'Reports waiting in the outbox, by state (READY: not yet in a delivery; BATCHED: in a delivery not yet done)', ['state'], (s) =>
      OUTBOX_STATES.map((state) => [{ state }, s.outbox[state]]),
    );
    this.databaseGauge('hookline_webhook_deliveries', 'Webhook deliveries waiting, by state (PENDING: never attempted; RETRYING: failed, awaiting the next attempt)', ['state'], (s) =>
      WAITING_DELIVERY_STATES.map((state) => [{ state }, s.deliveries[state]]),
    );
    this.databaseGauge('hookline_webhook_target_breaker_open', "Whether the target's circuit breaker is open (for a URL host: any of its URLs); healthy targets are absent", ['target'], (s) =>
      [...s.targets].map(([target, h]) => [{ target }, h.breakerOpen]),
    );
    this.databaseGauge('hookline_webhook_target_paused', "Whether the target's Retry-After (on a 429 or 503) is holding requests back (for a URL host: any of its URLs); healthy targets are absent", ['target'], (s) =>
      [...s.targets].map(([target, h]) => [{ target }, h.paused]),
    );
    this.databaseGauge('hookline_webhook_target_disabled', 'Whether the target is disabled by a 410 until re-enabled (for a URL host: any of its URLs); healthy targets are absent', ['target'], (s) =>
      [...s.targets].map(([target, h]) => [{ target }, h.disabled]),
    );
    this.databaseGauge('hookline_webhook_target_consecutive_failures', "The target's current streak of failed attempts (for a URL host: the longest); healthy targets are absent", ['target'], (s) =>
      [...s.targets].map(([target, h]) => [{ target }, h.consecutiveFailures]),
    );
  }

  // IntakeObserver and ReportObserver

  messagesAccepted(api: ApiFamily, count: number): void {
    this.acceptedTotal.inc({ api }, count);
  }

  reportsRecorded(byStatusId: StatusCounts): void {
    // Labelled by group, not id: five series, the way Infobip's own reports are grouped.
    for (const [statusId, count] of byStatusId) this.reportsTotal.inc({ status_group: groupOf(statusId) }, count);
  }

  // DispatchObserver

  attemptFinished(outcome: AttemptOutcome): void {
    const target = this.label(outcome.target);
    this.attemptsTotal.inc({ target, outcome: outcome.outcome });
    this.attemptDuration.observe({ target }, outcome.durationMs / 1_000);
    if (outcome.outcome === 'delivered' && outcome.eventToDeliveredMs !== null) {
      this.deliveryLatency.observe({ target }, Math.max(0, outcome.eventToDeliveredMs) / 1_000);
    }
    if (outcome.dropped) this.droppedTotal.inc({ target });
  }

  targetStateChanged(target: string, state: 'open' | 'closed' | 'disabled'): void {
    this.transitionsTotal.inc({ target: this.label(target), state });
  }

  /**
   * SMPP connections as this process runs them (network/smpp/): each counter of
   * GET /hookline/1/smpp/status since the process started, and how many binds are bound.
   */
  watchSmpp(status: () => SmppConnectionStatus[]): void {
    new Gauge({
      name: 'hookline_smpp_parts',
      help: 'SMPP parts and PDUs counted per connection since this process started (submitted, acknowledged, rejected, throttled, resubmitted: sent more than once, abandoned, receipts, inbound, reconnects)',
      labelNames: ['connection', 'counter'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const connection of status()) {
          for (const [counter, value] of Object.entries(connection.counters)) this.set({ connection: connection.name, counter }, value);
        }
      },
    });
    new Gauge({
      name: 'hookline_smpp_binds_bound',
      help: "SMPP sessions of the connection that are bound (of the configured binds, two sessions each in transmitter+receiver mode)",
      labelNames: ['connection'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const connection of status()) this.set({ connection: connection.name }, connection.binds.filter((b) => b.state === 'bound').length);
      },
    });
  }

  /** The text exposition format, with its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /**
   * A gauge whose values come from the database snapshot at scrape time. Each scrape replaces all
   * its series, so a target that became healthy (or a host no longer failing) disappears.
   */
  private databaseGauge<L extends string>(name: string, help: string, labelNames: readonly L[], values: (s: DatabaseSnapshot) => Array<[Record<L, string>, number]>): void {
    const metrics = this;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const snapshot = await metrics.snapshot();
        this.reset();
        if (!snapshot) return;
        for (const [labels, value] of values(snapshot)) this.set(labels as never, value);
      },
    });
  }

  /**
   * prom-client starts every metric's collect() in the same tick of a scrape, so they all get the
   * promise of one database read; it is forgotten once settled, so the next scrape reads afresh.
   * A failed read leaves the database gauges out of this scrape (and hookline_metrics_database_ok
   * at 0) but still serves the counters.
   */
  private snapshot(): Promise<DatabaseSnapshot | null> {
    this.pendingSnapshot ??= readSnapshot(this.db, this.clock.now(), this.label)
      .catch((error: unknown) => {
        this.log?.warn({ err: error }, 'metrics: could not read the database gauges');
        return null;
      })
      .finally(() => {
        this.pendingSnapshot = null;
      });
    return this.pendingSnapshot;
  }
}
