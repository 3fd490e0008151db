/**
 * The `target` label. A notification profile is few and named, so it keeps its own label
 * (`profile:<account>/<id>`); per-message URLs are as many as the messages that name them, so
 * they are folded into their host (`url:<host[:port]>`). Hosts are chosen by whoever sends
 * messages, so they too are capped: past MAX_URL_HOST_LABELS distinct hosts in a process, further
 * ones share `url:other`, and the number of series stays bounded whatever callers do.
 */
import { PROFILE_TARGET_PREFIX } from '../webhooks/targets.ts';

export const MAX_URL_HOST_LABELS = 1_000;
export const OTHER_HOSTS_LABEL = 'url:other';

/** A labeller with its own set of hosts seen (one per Metrics instance). */
export function targetLabeller(maxHosts = MAX_URL_HOST_LABELS): (target: string) => string {
  const hosts = new Set<string>();
  return (target) => {
    const label = targetLabel(target);
    if (!label.startsWith('url:') || hosts.has(label)) return label;
    if (hosts.size >= maxHosts) return OTHER_HOSTS_LABEL;
    hosts.add(label);
    return label;
  };
}

export function targetLabel(target: string): string {
  if (target.startsWith(PROFILE_TARGET_PREFIX)) return target;
  try {
    // URL.host is lower-cased and carries the port only when it is not the scheme's default.
    return `url:${new URL(target).host}`;
  } catch {
    return 'url:invalid';
  }
}
