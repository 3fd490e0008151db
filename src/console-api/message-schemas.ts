/**
 * Request schemas of the console's message routes (`/hookline/1/messages`). Fastify validates
 * requests with them and the OpenAPI document is generated from them, descriptions included.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CHANNEL } from '../messaging/channels.ts';
import { timeField } from '../operations/time-param.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1_000;

/** The status groups a message can be in once accepted (group 0, ACCEPTED, is never stored). */
export const GENERAL_STATUSES = ['PENDING', 'UNDELIVERABLE', 'DELIVERED', 'EXPIRED', 'REJECTED'] as const;

/** A string enum with a description (one violation when wrong, as lib/schema-enum.ts's Enum). */
const oneOf = <const V extends string>(values: readonly V[], description: string) => Type.Unsafe<V>({ type: 'string', enum: [...values], description });

const Id = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 255, description }));

/** `accountId`: the operator's way to look into another account (admin/visibility.ts targetAccount). */
const AccountId = Id("Operators only: another account's messages (default: the caller's account).");

export const MessageQuery = Type.Object({
  accountId: AccountId,
  destination: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Messages to this destination: a phone number (a leading + or 00, spaces and dashes are ignored) or an e-mail address, exactly.' }),
  ),
  messageId: Id('The message with this id.'),
  bulkId: Id('Messages of this bulk.'),
  channel: Type.Optional(oneOf(Object.values(CHANNEL), `Messages on this channel now (${Object.values(CHANNEL).join(', ')}); a failover moves a message to its next channel.`)),
  generalStatus: Type.Optional(oneOf(GENERAL_STATUSES, `Messages whose current status is in this group (${GENERAL_STATUSES.join(', ')}).`)),
  sentSince: Type.Optional(timeField('Messages sent (or, not sent yet, accepted) at or after this time.')),
  sentUntil: Type.Optional(timeField('Messages sent (or, not sent yet, accepted) at or before this time.')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: `Most results in one page (default ${DEFAULT_LIMIT}).` })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'The `nextCursor` of the previous page; absent for the first page (newest first).' })),
});
export type MessageQuery = Static<typeof MessageQuery>;

export const MessageParams = Type.Object({
  messageId: Type.String({ minLength: 1, maxLength: 255, description: 'The message id (as answered when it was sent).' }),
});
export type MessageParams = Static<typeof MessageParams>;

export const MessageDetailQuery = Type.Object({ accountId: AccountId });
export type MessageDetailQuery = Static<typeof MessageDetailQuery>;
