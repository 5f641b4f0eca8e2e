// Inline SVG charts: no chart library, no network.
import { rupiah, shortDay } from '../format';
import { t, tx } from '../i18n';
import type { OrderStatus } from '../types';
import { Link } from './ui';

export interface DayTotal {
  date: string; // YYYY-MM-DD, shop time
  total: number;
  orders: number;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function compact(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toLocaleString('id-ID', { maximumFractionDigits: 1 })} M`;
  if (v >= 1e6) return `${(v / 1e6).toLocaleString('id-ID', { maximumFractionDigits: 1 })} jt`;
  if (v >= 1e3) return `${(v / 1e3).toLocaleString('id-ID', { maximumFractionDigits: 0 })} rb`;
  return String(v);
}

export function SalesChart(props: { days: DayTotal[] }) {
  const W = 640;
  const H = 220;
  const left = 60;
  const bottom = 24;
  const top = 10;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const max = niceMax(Math.max(0, ...props.days.map((d) => d.total)));
  const n = Math.max(1, props.days.length);
  const step = plotW / n;
  const barW = Math.max(2, step * 0.7);
  const ticks = [0, 0.5, 1].map((f) => f * max);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('dash.chart')} data-testid="sales-chart">
      {ticks.map((v) => {
        const y = top + plotH - (v / max) * plotH;
        return (
          <g key={v}>
            <line x1={left} x2={W - 8} y1={y} y2={y} class="grid" />
            <text x={left - 6} y={y + 4} class="axis" text-anchor="end">
              {compact(v)}
            </text>
          </g>
        );
      })}
      {props.days.map((d, i) => {
        const h = (d.total / max) * plotH;
        const x = left + i * step + (step - barW) / 2;
        return (
          <g key={d.date}>
            <rect x={x} y={top + plotH - h} width={barW} height={Math.max(h, d.total > 0 ? 1 : 0)} class="bar" rx="2">
              <title>{`${shortDay(d.date)}: ${rupiah(d.total)} (${d.orders})`}</title>
            </rect>
            {(i % 5 === 0 || i === n - 1) && (
              <text x={i === n - 1 ? W - 8 : left + i * step + step / 2} y={H - 6} class="axis" text-anchor={i === n - 1 ? 'end' : 'middle'}>
                {shortDay(d.date)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function StatusBars(props: { counts: Partial<Record<OrderStatus, number>>; order: OrderStatus[] }) {
  const max = Math.max(1, ...props.order.map((s) => props.counts[s] ?? 0));
  return (
    <ul class="status-bars" data-testid="status-bars">
      {props.order.map((s) => {
        const n = props.counts[s] ?? 0;
        return (
          <li key={s}>
            <Link href={`/orders?status=${s}`} class="status-row">
              <span class="label">{tx('status', s)}</span>
              <span class="track">
                <span class={`fill status-${s}`} style={{ width: `${(n / max) * 100}%` }} />
              </span>
              <span class="count" data-testid={`status-count-${s}`}>
                {n}
              </span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
