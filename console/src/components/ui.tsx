/** Small building blocks every screen uses: labelled fields, badges, notices. */
import type { ComponentChildren } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { statusTone } from '../format.ts';
import type { Status } from '../types.ts';

/** A labelled control. Its hint, if any, is tied to it (aria-describedby), so a screen reader reads it with the field. */
export function Field(props: { label: string; hint?: string; children: (id: string, describedBy: string | undefined) => ComponentChildren }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.children(id, hintId)}
      {props.hint && (
        <small class="hint" id={hintId}>
          {props.hint}
        </small>
      )}
    </div>
  );
}

/** The input attributes the console's forms use (a closed list keeps the props type simple). */
interface InputExtras {
  type?: string;
  placeholder?: string;
  required?: boolean;
  autoComplete?: string;
  autoFocus?: boolean;
  step?: string;
  maxLength?: number;
  list?: string;
  inputMode?: 'text' | 'numeric' | 'decimal' | 'tel' | 'email' | 'url' | 'search' | 'none';
  /**
   * A credential Hookline uses (a webhook's password, an HMAC key), not the user's own: masked,
   * and kept out of the browser's and password managers' saved logins.
   */
  secret?: boolean;
}

const SECRET_INPUT = { type: 'password', autoComplete: 'off', 'data-1p-ignore': '', 'data-lpignore': 'true' };

export function TextField(props: { label: string; value: string; onInput: (value: string) => void; hint?: string } & InputExtras) {
  const { label, value, onInput, hint, secret, ...rest } = props;
  // Preact ties `list` and `role` to particular input types; the extras above are plain attributes.
  const attributes = { ...rest, ...(secret ? SECRET_INPUT : {}) } as Record<string, unknown>;
  return (
    <Field label={label} hint={hint}>
      {(id, describedBy) => <input id={id} aria-describedby={describedBy} value={value} onInput={(e) => onInput(e.currentTarget.value)} {...attributes} />}
    </Field>
  );
}

export function SelectField(props: { label: string; value: string; onChange: (value: string) => void; options: ReadonlyArray<readonly [string, string]> }) {
  return (
    <Field label={props.label}>
      {(id) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          {props.options.map(([value, text]) => (
            <option value={value} key={value}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function StatusBadge({ status }: { status: Status | null | undefined }) {
  if (!status) return <span class="badge wait">—</span>;
  return (
    <span class={`badge ${statusTone(status.groupName)}`} title={status.description}>
      {status.groupName}
      <span class="badge-detail"> {status.name}</span>
    </span>
  );
}

const STATE_TONE: Record<string, 'ok' | 'bad' | 'wait'> = { DELIVERED: 'ok', DROPPED: 'bad', RETRYING: 'bad', PENDING: 'wait', HEALTHY: 'ok', OPEN: 'bad', DISABLED: 'bad', RUNNING: 'wait', COMPLETED: 'ok', CANCELED: 'wait' };
export const StateBadge = ({ state }: { state: string }) => <span class={`badge ${STATE_TONE[state] ?? 'wait'}`}>{state}</span>;

export const ErrorNotice = ({ error }: { error: string | null }) =>
  error ? (
    <p class="notice error" role="alert">
      {error}
    </p>
  ) : null;

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

export function Section(props: { title: string; actions?: ComponentChildren; children: ComponentChildren; id?: string }) {
  return (
    <section class="panel" aria-labelledby={props.id}>
      <header class="panel-head">
        <h2 id={props.id}>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/** A secret shown once, right after it was created: the API will never answer it again. */
export function SecretOnce({ label, secret, onDone }: { label: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const code = useRef<HTMLElement>(null);

  async function copy() {
    try {
      // Absent outside a secure context (plain http to another host): the same as a refusal.
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      setCopied('Copied');
    } catch {
      // Selected, the text is one keystroke from the clipboard.
      const selection = getSelection();
      if (code.current && selection) {
        const range = document.createRange();
        range.selectNodeContents(code.current);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setCopied('Copy failed: select the text and copy it');
    }
  }

  return (
    <div class="notice secret" role="status">
      <p>
        <strong>{label}</strong> — copy it now: it is shown only once.
      </p>
      <code class="secret-value" data-testid="secret-value" ref={code}>
        {secret}
      </code>
      <div class="row">
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" onClick={onDone}>
          I have saved it
        </button>
        {copied && <span>{copied}</span>}
      </div>
    </div>
  );
}

/** Previous/next for a paged list; nothing when the whole list fits on its first page. */
export function Pager({ page, totalPages, onPage, label }: { page: number; totalPages: number; onPage: (page: number) => void; label: string }) {
  if (page === 0 && totalPages <= 1) return null;
  return (
    <nav class="row" aria-label={label}>
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>
        Previous page
      </button>
      <span>
        Page {page + 1} of {Math.max(totalPages, page + 1)}
      </span>
      <button type="button" disabled={page + 1 >= totalPages} onClick={() => onPage(page + 1)}>
        Next page
      </button>
    </nav>
  );
}

/** A labelled group of checkboxes for a multi-value field with a short, fixed set of values. */
export function CheckboxGroup(props: { legend: string; options: readonly string[]; value: readonly string[]; onChange: (value: string[]) => void }) {
  const toggle = (option: string, on: boolean) => props.onChange(props.options.filter((o) => (o === option ? on : props.value.includes(o))));
  return (
    <fieldset class="field">
      <legend>{props.legend}</legend>
      {props.options.map((option) => (
        <label key={option}>
          <input type="checkbox" checked={props.value.includes(option)} onChange={(e) => toggle(option, e.currentTarget.checked)} /> {option}
        </label>
      ))}
    </fieldset>
  );
}
