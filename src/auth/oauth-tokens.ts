/** OAuth2 access tokens (client credentials grant): opaque, stored hashed, refused once expired. */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { generateToken, hashSecret } from './tokens.ts';

export const ACCESS_TOKEN_TTL_S = 3_600;

export interface LiveToken {
  userId: string;
  accountId: string;
  expiresAt: number;
}

export class OAuthTokens {
  constructor(private readonly db: Kysely<Database>) {}

  async issue(user: { id: string; account_id: string }, now: number): Promise<{ token: string; expiresInSeconds: number }> {
    const token = generateToken();
    await this.db
      .insertInto('oauth_tokens')
      .values({ token_hash: hashSecret(token), user_id: user.id, account_id: user.account_id, created_at: now, expires_at: now + ACCESS_TOKEN_TTL_S * 1000 })
      .execute();
    return { token, expiresInSeconds: ACCESS_TOKEN_TTL_S };
  }

  async find(token: string, now: number): Promise<LiveToken | null> {
    const row = await this.db.selectFrom('oauth_tokens').selectAll().where('token_hash', '=', hashSecret(token)).executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return null;
    return { userId: row.user_id, accountId: row.account_id, expiresAt: Number(row.expires_at) };
  }
}
