/**
 * Where a report goes. The order of precedence is the product's promise:
 * per-message webhook ▸ (subscriptions, later) ▸ pull queue.
 * A report is pulled exactly when it is not pushed; intermediate reports go anywhere only if
 * the message asked for them.
 */
import type { ApiFamily } from '../store/schema.ts';

export interface RoutableMessage {
  pk: number;
  account_id: string;
  family: ApiFamily;
  notify_url: string | null;
  notify: number;
  intermediate: number;
  content_type: string;
}

export type Route =
  | { kind: 'push'; targetUrl: string; family: ApiFamily; contentType: string }
  | { kind: 'pull' }
  | { kind: 'none' };

export function routeReport(message: RoutableMessage, final: boolean): Route {
  if (!final && message.intermediate !== 1) return { kind: 'none' };
  if (message.notify === 1 && message.notify_url) {
    return { kind: 'push', targetUrl: message.notify_url, family: message.family, contentType: message.content_type };
  }
  return { kind: 'pull' };
}
