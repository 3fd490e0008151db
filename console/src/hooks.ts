/** Loading an API answer into a component, with its error and a way to load it again. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * `load` runs whenever `deps` change, and again on `reload()`. An answer that a newer load
 * replaced is dropped. When `deps` change, the old data goes at once: rows of another selection
 * must never stay on screen (their buttons would act on the new one). A `reload()` of the same
 * selection keeps the rows shown until the new answer lands, so a refresh does not flicker.
 */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  const depsKey = JSON.stringify(deps);
  const shownKey = useRef(depsKey);
  useEffect(() => {
    const mine = ++latest.current;
    const sameSelection = shownKey.current === depsKey;
    shownKey.current = depsKey;
    setState((s) => (sameSelection ? { ...s, loading: true } : { data: null, error: null, loading: true }));
    load().then(
      (data) => mine === latest.current && setState({ data, error: null, loading: false }),
      (failure: unknown) => mine === latest.current && setState({ data: null, error: messageOf(failure), loading: false }),
    );
  }, [depsKey, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, reload };
}

export const messageOf = (failure: unknown): string => (failure instanceof Error ? failure.message : String(failure));

/** Runs `tick` every `ms` while the component is shown (progress bars, retry countdowns). */
export function useInterval(tick: () => void, ms: number | null): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (ms === null) return;
    const id = setInterval(() => saved.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}
