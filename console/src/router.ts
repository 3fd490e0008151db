/**
 * Hash routes (`#/messages/abc`): the server serves one page for every console URL and deep links
 * still work, with no server-side fallback to configure.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** The first path segment: 'messages', 'webhooks', ... */
  section: string;
  /** The rest, decoded: ['abc'] for #/messages/abc. */
  params: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [section = '', ...params] = path.split('/').filter(Boolean).map(decodeSegment);
  return { section, params, query: new URLSearchParams(search) };
}

/** A malformed escape (`%E0`) is kept as typed rather than breaking the page. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export const href = (...segments: string[]): string => `#/${segments.map(encodeURIComponent).join('/')}`;

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
