/**
 * The skeleton the settings pages share (subscriptions, profiles, security settings, API keys):
 * a paged list with a "New" button and row actions, and one form at a time to create or edit.
 * Each page keeps only what is its own: columns, fields, and the request body it builds.
 */
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useId, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { messageOf, useLoad, type Loaded } from '../hooks.ts';
import { DataTable, type Column } from './data-table.tsx';
import { Empty, ErrorNotice, Pager, Section } from './ui.tsx';

/** One page of a list, as the pages load it: the rows, how many pages, and whatever else the rows were loaded with (a channel, an account). */
export interface Listing<T> {
  rows: T[];
  totalPages: number;
}

export const PAGE_SIZE = 100;

/** A Subscriptions API list (`{results, paging}`, `?page&size`) as a Listing. */
export async function pagedList<T>(path: string, page: number): Promise<Listing<T>> {
  const answer = await api<{ results: T[]; paging: { totalPages: number } }>('GET', path, { query: { page, size: PAGE_SIZE } });
  return { rows: answer.results, totalPages: answer.paging.totalPages };
}

/** What the list's form shows: nothing (null), the create form ('new'), or the page's own edit (or other) form. */
export type Editing<X> = 'new' | X | null;

export interface Crud<L, X> {
  list: Loaded<L>;
  page: number;
  setPage: (page: number) => void;
  editing: Editing<X>;
  open: (form: 'new' | X) => void;
  close: () => void;
  /** What the last action or form did ("Profile x deleted."). */
  notice: string | null;
  actionError: string | null;
  /** A row action's request is in flight: every row action waits for it. */
  busy: boolean;
  /** A form succeeded: close it, say what it did, show the list again. */
  done: (message: string) => void;
  /** A row action: one at a time; on success say `success`, close the form `closes` picks, and reload. */
  run: (action: () => Promise<unknown>, success: string, closes?: (form: 'new' | X) => boolean) => void;
}

/**
 * The list state of a settings page. `load(page)` runs for the page shown and whenever `deps`
 * change; a change of `deps` (another channel, another account) starts again at page 0.
 */
export function useCrudList<L extends Listing<unknown>, X>(load: (page: number) => Promise<L>, deps: readonly unknown[]): Crud<L, X> {
  const selection = JSON.stringify(deps);
  const [paging, setPaging] = useState({ selection, page: 0 });
  const page = paging.selection === selection ? paging.page : 0;
  const setPage = (next: number) => setPaging({ selection, page: next });
  // Each answer carries the selection it was loaded for. On the render where the selection
  // changes, useLoad still holds the old one's rows: they are not shown (their actions would
  // read as the new selection's).
  const wanted = JSON.stringify([selection, page]);
  const loaded = useLoad(async () => ({ loadedFor: wanted, listing: await load(page) }), [...deps, page]);
  const current = loaded.data?.loadedFor === wanted ? loaded.data.listing : null;
  const list: Loaded<L> = { data: current, error: loaded.error, loading: loaded.loading || (loaded.data !== null && current === null), reload: loaded.reload };
  const [editing, setEditing] = useState<Editing<X>>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The state above changes on the next render; a second click before it must still wait.
  const inFlight = useRef(false);

  // A page that came back empty (its last item was deleted, or the list shrank): show the one before.
  const data = list.data;
  useEffect(() => {
    if (data && !list.loading && data.rows.length === 0 && page > 0) setPage(Math.min(page - 1, Math.max(data.totalPages - 1, 0)));
  }, [data, list.loading]);

  return {
    list,
    page,
    setPage,
    editing,
    open(form) {
      setNotice(null);
      setEditing(form);
    },
    close: () => setEditing(null),
    notice,
    actionError,
    busy,
    done(message) {
      setEditing(null);
      setNotice(message);
      setActionError(null);
      list.reload();
    },
    run(action, success, closes) {
      if (inFlight.current) return;
      inFlight.current = true;
      setBusy(true);
      setNotice(null);
      setActionError(null);
      action()
        .then(() => {
          if (closes) setEditing((form) => (form !== null && closes(form) ? null : form));
          setNotice(success);
          list.reload();
        })
        .catch((failure: unknown) => setActionError(messageOf(failure)))
        .finally(() => {
          inFlight.current = false;
          setBusy(false);
        });
    },
  };
}

type RowOf<L> = L extends Listing<infer T> ? T : never;

/**
 * The list's section: its "New" button, what the last action did, the list's and the action's
 * errors, then Loading…, the rows, or the empty text, and the pager. Row actions get the listing
 * the rows came with (build requests from it, never from the filters' current state) and are
 * disabled while the list loads or an action runs.
 */
export function CrudSection<L extends Listing<unknown>, X>(props: {
  title: string;
  newLabel: string;
  crud: Crud<L, X>;
  columns: ReadonlyArray<Column<RowOf<L>>>;
  rowKey: (row: RowOf<L>) => string;
  actions: (row: RowOf<L>, listing: L) => ComponentChildren;
  empty: (listing: L) => string;
  pagerLabel: string;
  /** Above the list: its filters, a secret to show once. */
  children?: ComponentChildren;
}) {
  const { crud } = props;
  const { list } = crud;
  const data = list.data;
  const rows = (data?.rows ?? []) as Array<RowOf<L>>;
  const titleId = useId();
  // A deleted row takes its focused Delete button with it: the focus goes to what was done.
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (document.activeElement === document.body) noticeRef.current?.focus();
  }, [data]);
  return (
    <Section
      title={props.title}
      id={titleId}
      actions={
        <button type="button" class="primary" onClick={() => crud.open('new')}>
          {props.newLabel}
        </button>
      }
    >
      {props.children}
      {crud.notice && (
        <p class="notice info" role="status" tabIndex={-1} ref={noticeRef}>
          {crud.notice}
        </p>
      )}
      <ErrorNotice error={crud.actionError} />
      <ErrorNotice error={list.error} />
      {data && rows.length > 0 ? (
        <CrudTable columns={props.columns} rows={rows} rowKey={props.rowKey} actions={(row) => props.actions(row, data)} disabled={list.loading || crud.busy} />
      ) : list.loading ? (
        <p>Loading…</p>
      ) : (
        data && !list.error && <Empty>{props.empty(data)}</Empty>
      )}
      {data && <Pager page={crud.page} totalPages={data.totalPages} onPage={crud.setPage} label={props.pagerLabel} />}
    </Section>
  );
}

const RowsDisabled = createContext(false);

/** A DataTable with a last column of row actions, which do nothing while `disabled`. */
export function CrudTable<T>(props: { columns: ReadonlyArray<Column<T>>; rows: readonly T[]; rowKey: (row: T) => string; actions: (row: T) => ComponentChildren; disabled: boolean }) {
  const actions: Column<T> = {
    label: 'Actions',
    render: (row) => (
      <div class="row">
        <RowsDisabled.Provider value={props.disabled}>{props.actions(row)}</RowsDisabled.Provider>
      </div>
    ),
  };
  return <DataTable columns={[...props.columns, actions]} rows={props.rows} rowKey={props.rowKey} />;
}

/**
 * A row's button: `name` says which row it acts on (the visible text is the same on every row).
 * While the list loads or an action runs it does nothing and says so (aria-disabled): a real
 * `disabled` would drop the keyboard focus to the page's start each time the list reloads.
 */
export function RowAction(props: { name: string; onClick: () => void; danger?: boolean; children: ComponentChildren }) {
  const disabled = useContext(RowsDisabled);
  return (
    <button type="button" class={props.danger ? 'danger' : undefined} aria-label={props.name} aria-disabled={disabled} onClick={() => disabled || props.onClick()}>
      {props.children}
    </button>
  );
}

/** A form's draft and a setter per text field: `set('name')` is an onInput handler. */
export function useDraft<D extends object>(initial: () => D) {
  const [draft, setDraft] = useState<D>(initial);
  const set =
    <K extends keyof D>(field: K) =>
    (value: D[K]) =>
      setDraft((d) => ({ ...d, [field]: value }));
  return { draft, set };
}

/**
 * A form's submit: one request at a time, its failure shown in the form. `action` throws to
 * refuse (an Error's message is what the form shows), e.g. a line the form cannot parse.
 */
export function useSubmit(action: () => Promise<void>): { busy: boolean; error: string | null; onSubmit: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inFlight = useRef(false);
  return {
    busy,
    error,
    onSubmit() {
      if (inFlight.current) return;
      inFlight.current = true;
      setBusy(true);
      setError(null);
      action()
        .catch((failure: unknown) => setError(messageOf(failure)))
        .finally(() => {
          inFlight.current = false;
          setBusy(false);
        });
    },
  };
}

/**
 * A create or edit form in its own panel. It takes the focus when it opens (its first field) and
 * gives it back to what opened it when it closes, so a keyboard user goes on where they were.
 * Escape cancels.
 */
export function FormPanel(props: {
  title: ComponentChildren;
  submitLabel: string;
  busy: boolean;
  error: string | null;
  onSubmit: () => void;
  onCancel: () => void;
  /** Above the fields. */
  intro?: ComponentChildren;
  /** Below the fields (e.g. a <details> with the rarer settings). */
  more?: ComponentChildren;
  children: ComponentChildren;
}) {
  const titleId = useId();
  const form = useRef<HTMLFormElement>(null);
  // Read during the first render, before anything else moves the focus: the button that opened the form.
  const [opener] = useState(() => document.activeElement);
  useEffect(() => {
    const element = form.current;
    element?.querySelector<HTMLElement>('input:not([disabled]), select:not([disabled]), textarea:not([disabled])')?.focus();
    return () => {
      const focused = document.activeElement;
      // Only when the focus was in the form (or already lost): a click elsewhere, e.g. another section, keeps its focus.
      if (focused && focused !== document.body && !element?.contains(focused)) return;
      if (opener instanceof HTMLElement && opener !== document.body && opener.isConnected) opener.focus();
      else document.getElementById('main')?.focus();
    };
  }, []);

  return (
    <form
      class="panel"
      ref={form}
      aria-labelledby={titleId}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        props.onCancel();
      }}
    >
      <header class="panel-head">
        <h2 id={titleId}>{props.title}</h2>
      </header>
      {props.intro}
      <div class="filters">{props.children}</div>
      {props.more}
      <ErrorNotice error={props.error} />
      <div class="row">
        <button type="submit" class="primary" disabled={props.busy}>
          {props.submitLabel}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
