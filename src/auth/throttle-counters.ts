/**
 * Fixed-window counters in the database, so every Hookline process counts against the same
 * limit: the published endpoint throttles and the failed-login counts both use them.
 * Windows are aligned to multiples of their length (a day window is a UTC day).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface WindowCount {
  count: number;
  /** When the window ends: the earliest moment a refused caller may try again. */
  windowEnd: number;
}

export class ThrottleCounters {
  constructor(private readonly db: Kysely<Database>) {}

  /** Counts one more event in the current window and returns the new count. */
  async hit(key: string, windowMs: number, now: number): Promise<WindowCount> {
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const windowEnd = windowStart + windowMs;
    const { rows } = await sql<{ count: number | string }>`
      insert into throttle_counters (key, window_start, window_end, count) values (${key}, ${windowStart}, ${windowEnd}, 1)
      on conflict (key) do update set
        count = case when throttle_counters.window_start = excluded.window_start then throttle_counters.count + 1 else 1 end,
        window_start = excluded.window_start,
        window_end = excluded.window_end
      returning count`.execute(this.db);
    return { count: Number(rows[0].count), windowEnd };
  }

  /** Takes back one event counted by `hit` (an attempt that turned out to be a success). */
  async undo(key: string): Promise<void> {
    await this.db.updateTable('throttle_counters').set((eb) => ({ count: eb('count', '-', 1) })).where('key', '=', key).where('count', '>', 0).execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('throttle_counters').where('key', '=', key).execute();
  }
}

export const retryAfterSeconds = (windowEnd: number, now: number): number => Math.max(1, Math.ceil((windowEnd - now) / 1000));
