/**
 * IBSSO sessions (`POST /auth/1/session`): a token bound to the client's address unless created
 * `unsafe`, ended by DELETE or by 60 minutes without use. Use is recorded at most once a minute
 * (not on every request), so the idle limit is exact to within that minute.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { generateToken, hashSecret } from './tokens.ts';

export const SESSION_IDLE_MS = 60 * 60_000;
const TOUCH_AFTER_MS = 60_000;

export interface LiveSession {
  userId: string;
  accountId: string;
  boundIp: string | null;
  /** When the session lapses if it is not used again. */
  idleUntil: number;
}

export class Sessions {
  constructor(private readonly db: Kysely<Database>) {}

  async create(user: { id: string; account_id: string }, boundIp: string | null, now: number): Promise<string> {
    const token = generateToken();
    await this.db
      .insertInto('sessions')
      .values({ token_hash: hashSecret(token), user_id: user.id, account_id: user.account_id, client_ip: boundIp, created_at: now, last_seen_at: now })
      .execute();
    return token;
  }

  /**
   * The session behind a token, recording its use from `ip`; null if unknown or idle too long.
   * A use from the wrong address (refused by the caller) does not count: a stolen bound token
   * must not keep its session alive.
   */
  async use(token: string, ip: string, now: number): Promise<LiveSession | null> {
    const tokenHash = hashSecret(token);
    const row = await this.db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    if (!row || now - Number(row.last_seen_at) > SESSION_IDLE_MS) return null;
    let lastSeen = Number(row.last_seen_at);
    if (now - lastSeen >= TOUCH_AFTER_MS && (row.client_ip === null || row.client_ip === ip)) {
      await this.db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute();
      lastSeen = now;
    }
    return { userId: row.user_id, accountId: row.account_id, boundIp: row.client_ip, idleUntil: lastSeen + SESSION_IDLE_MS };
  }

  async destroy(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', hashSecret(token)).execute();
  }
}
