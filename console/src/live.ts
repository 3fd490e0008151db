/**
 * The live feed: GET /hookline/1/events (server-sent events) read with fetch, because the browser's
 * EventSource cannot send an Authorization header and the console keeps its token out of URLs and
 * cookies. eventsource-parser reads the stream; on a drop the feed reconnects with Last-Event-ID,
 * so the server replays what was missed.
 */
import { createParser } from 'eventsource-parser';
import { useEffect, useRef, useState } from 'preact/hooks';
import { authHeaders, errorText, signedOut } from './api.ts';
import { session } from './session.ts';
import type { LiveAttempt, LiveReport } from './types.ts';

export type LiveEvent = { type: 'report'; data: LiveReport } | { type: 'attempt'; data: LiveAttempt };
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

/** The feed keeps the newest events only: an open tab must not grow without bound. */
export const MAX_SHOWN = 200;

const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 30_000;

export function openLiveFeed(onEvent: (event: LiveEvent) => void, onState: (state: LiveState, detail?: string) => void): () => void {
  let lastEventId: string | null = null;
  let serverRetryMs = FIRST_RETRY_MS;
  let failures = 0;
  let stopped = false;
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function connect() {
    controller = new AbortController();
    onState(lastEventId === null && failures === 0 ? 'connecting' : 'reconnecting');
    let detail = 'the connection closed';
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream', ...authHeaders() };
      if (lastEventId !== null) headers['Last-Event-ID'] = lastEventId;
      const response = await fetch('/hookline/1/events', { headers, signal: controller.signal });
      if (response.status === 401) {
        // The session is over: the same as any API call answering 401.
        session.clear();
        return signedOut();
      }
      if (response.status === 403) return onState('refused', 'your role cannot read events');
      if (!response.ok || !response.body) {
        detail = `HTTP ${response.status}: ${errorText(await response.json().catch(() => null), response.status)}`;
        // A resume point the server refuses (400) will never be accepted: start again from now.
        if (response.status === 400) lastEventId = null;
        throw new Error(detail);
      }
      failures = 0;
      onState('live');
      const parser = createParser({
        onEvent(message) {
          if (message.id) lastEventId = message.id;
          if (message.event === 'report' || message.event === 'attempt') onEvent({ type: message.event, data: JSON.parse(message.data) } as LiveEvent);
        },
        onRetry(ms) {
          serverRetryMs = ms;
        },
      });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch (failure) {
      if (failure instanceof Error && failure.message) detail = failure.message;
    }
    if (stopped) return;
    // Back off while the server keeps failing: the server's `retry:` first, doubling up to 30 s.
    failures++;
    onState('reconnecting', detail);
    timer = setTimeout(connect, Math.min(MAX_RETRY_MS, serverRetryMs * 2 ** (failures - 1)));
  }

  void connect();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    controller?.abort();
  };
}

/** The newest live events (newest first) and the feed's state, while the component is shown. */
export function useLiveFeed(): { events: LiveEvent[]; state: LiveState; detail?: string } {
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [state, setState] = useState<{ state: LiveState; detail?: string }>({ state: 'connecting' });
  const pending = useRef<LiveEvent[]>([]);
  useEffect(() => {
    // Events arrive in bursts; render them together, at most every 100 ms (timers, not animation
    // frames, so a tab in the background still keeps its feed).
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const batch = pending.current.reverse();
      pending.current = [];
      setEvents((old) => [...batch, ...old].slice(0, MAX_SHOWN));
    };
    const stop = openLiveFeed(
      (event) => {
        pending.current.push(event);
        timer ??= setTimeout(flush, 100);
      },
      (s, detail) => setState({ state: s, detail }),
    );
    return () => {
      stop();
      if (timer) clearTimeout(timer);
    };
  }, []);
  return { events, ...state };
}
