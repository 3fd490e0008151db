/** The columns of a webhook delivery list, shared by the webhooks page and a message's page. */
import { formatTime, targetLabel } from '../format.ts';
import { href } from '../router.ts';
import type { Delivery } from '../types.ts';
import { DataTable, type Column } from './data-table.tsx';
import { StateBadge } from './ui.tsx';

const DELIVERY_COLUMNS: ReadonlyArray<Column<Delivery>> = [
  { label: 'Delivery', render: (d) => <a href={href('webhooks', d.id)} class="mono">{d.id}</a> },
  { label: 'State', render: (d) => <StateBadge state={d.state} /> },
  { label: 'Target', render: (d) => targetLabel(d.target), truncate: (d) => targetLabel(d.target) },
  { label: 'Attempts', render: (d) => d.attempts, num: true },
  { label: 'Last result', render: (d) => d.lastStatusCode ?? d.lastError ?? '—' },
  { label: 'Next attempt', render: (d) => (d.nextAttemptAt ? `${formatTime(d.nextAttemptAt)} (${d.remainingAttempts} left)` : '—') },
  { label: 'Created', render: (d) => formatTime(d.createdAt) },
];

export const DeliveryTable = ({ rows }: { rows: Delivery[] }) => <DataTable columns={DELIVERY_COLUMNS} rows={rows} rowKey={(d) => d.id} />;
