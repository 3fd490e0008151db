/**
 * Every table of the console: it stacks into labelled cards on a narrow screen, each cell
 * carrying its column's label (data-label), written here once so the two layouts cannot drift.
 */
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  render: (row: T) => ComponentChildren;
  /** The value is an identifier: shown in monospace. */
  mono?: boolean;
  /** A long value cut to one line, whole in its tooltip. */
  truncate?: (row: T) => string | undefined;
  num?: boolean;
}

export function DataTable<T>(props: { columns: ReadonlyArray<Column<T>>; rows: readonly T[]; rowKey: (row: T) => string; describedBy?: string }) {
  const { columns } = props;
  return (
    <div class="table-wrap">
      <table class="data stack" aria-describedby={props.describedBy}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.label}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {columns.map((c) => (
                <td key={c.label} data-label={c.label} class={c.truncate ? 'truncate' : c.num ? 'num' : undefined} title={c.truncate?.(row)}>
                  {c.mono ? <span class="mono">{c.render(row)}</span> : c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
