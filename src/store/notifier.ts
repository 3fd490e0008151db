/**
 * Wake-ups between stages: after committing work, a producer says so on a channel, and the
 * loops that consume it wake at once instead of waiting for their next due time. In one
 * process that is a function call; on PostgreSQL it is also a NOTIFY, so a report accepted by
 * an API process wakes the workers within milliseconds. Polling stays as the fall-back.
 */
import pg from 'pg';
import type { Logger } from 'pino';

/**
 * `subscriptions`: subscriptions, profiles or security settings changed; caches reload. `smpp`: SMPP connections or routes changed.
 * `activity`: reports or webhook attempts were committed; live event streams (src/live/) look for them.
 */
export type Channel = 'network' | 'dispatch' | 'subscriptions' | 'recoveries' | 'smpp' | 'activity';
const PG_CHANNEL: Record<Channel, string> = {
  network: 'hookline_network',
  dispatch: 'hookline_dispatch',
  subscriptions: 'hookline_subscriptions',
  recoveries: 'hookline_recoveries',
  smpp: 'hookline_smpp',
  activity: 'hookline_activity',
};

export interface Notifier {
  notify(channel: Channel): void;
  listen(channel: Channel, onWake: () => void): void;
  /** Starts receiving other processes' notifications for the channels listened to. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** One process: notify calls the listeners directly. */
export class LocalNotifier implements Notifier {
  protected listeners: Record<Channel, Array<() => void>> = { network: [], dispatch: [], subscriptions: [], recoveries: [], smpp: [], activity: [] };

  notify(channel: Channel): void {
    for (const wake of this.listeners[channel]) wake();
  }

  listen(channel: Channel, onWake: () => void): void {
    this.listeners[channel].push(onWake);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}

/**
 * LISTEN on a dedicated connection (reconnecting with backoff if it drops) and NOTIFY through
 * the pool, at most one NOTIFY per channel per event-loop turn however many commits ask.
 */
export class PostgresNotifier extends LocalNotifier {
  private client: pg.Client | null = null;
  private pending = new Set<Channel>();
  private closed = false;
  private retryMs = 100;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    /** Runs one statement on the shared pool (NOTIFY needs no connection of its own). */
    private readonly execute: (statement: string) => Promise<unknown>,
    private readonly log: Logger,
  ) {
    super();
  }

  override notify(channel: Channel): void {
    super.notify(channel);
    if (this.pending.has(channel) || this.closed) return;
    this.pending.add(channel);
    setImmediate(() => {
      this.pending.delete(channel);
      this.execute(`notify ${PG_CHANNEL[channel]}`).catch((error) => this.log.debug({ err: error }, 'NOTIFY failed; pollers will catch up'));
    });
  }

  /** Starts listening for the channels that have listeners. */
  override async start(): Promise<void> {
    const channels = (Object.keys(this.listeners) as Channel[]).filter((c) => this.listeners[c].length > 0);
    if (channels.length === 0 || this.closed) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      const channel = (Object.keys(PG_CHANNEL) as Channel[]).find((c) => PG_CHANNEL[c] === message.channel);
      if (channel) super.notify(channel);
    });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      for (const channel of channels) await client.query(`listen ${PG_CHANNEL[channel]}`);
      this.client = client;
      this.retryMs = 100;
      // Anything committed while we were not listening: look now.
      for (const channel of channels) super.notify(channel);
    } catch (error) {
      this.log.warn({ err: error }, 'LISTEN connection failed; retrying');
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.closed || this.reconnectTimer || (this.client !== null && this.client !== client)) return;
    this.client = null;
    client.end().catch(() => {});
    const delay = this.retryMs * (0.5 + Math.random());
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.start();
    }, delay);
    this.reconnectTimer.unref();
  }

  override async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => {});
  }
}
