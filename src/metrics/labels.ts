/**
 * The `target` label. A notification profile is few and named, so it keeps its own label
 * (`profile:<account>/<id>`); per-message URLs are as many as the messages that name them, so
 * they are folded into their host (`url:<host[:port]>`), which keeps the series count bounded.
 */
import { PROFILE_TARGET_PREFIX } from '../webhooks/targets.ts';

export function targetLabel(target: string): string {
  if (target.startsWith(PROFILE_TARGET_PREFIX)) return target;
  try {
    // URL.host is lower-cased and carries the port only when it is not the scheme's default.
    return `url:${new URL(target).host}`;
  } catch {
    return 'url:invalid';
  }
}
