import { useState } from 'preact/hooks';
import { api, request } from '../api';
import { ErrorBox, Link, Loading, Notice, PageHeader, StatusBadge, formValues, useLoad } from '../components/ui';
import { dateTime, rupiah } from '../format';
import { t, tx, type Key } from '../i18n';
import { useLive } from '../live';
import { isAdmin } from '../session';
import type { Order, OrderStatus } from '../types';

const FORWARD: OrderStatus[] = ['pending', 'processed', 'shipped', 'delivered'];

// The statuses an order may move to (CONTRACT.md: forward, may skip; cancelled before delivered).
export function nextStatuses(s: OrderStatus): OrderStatus[] {
  if (s === 'delivered' || s === 'cancelled') return [];
  const i = FORWARD.indexOf(s);
  return [...FORWARD.slice(i + 1), 'cancelled'];
}

function eventLabel(type: string): string {
  const key = `order.event.${type}` as Key;
  const s = t(key);
  return s === key ? type : s;
}

function StatusForm(props: { order: Order; onDone: (o: Order) => void }) {
  const options = nextStatuses(props.order.status);
  const [target, setTarget] = useState<OrderStatus>(options[0]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (options.length === 0) return <p class="muted">{t('order.final', { status: tx('status', props.order.status) })}</p>;
  const chosen = options.includes(target) ? target : options[0];
  async function submit(e: Event) {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = { status: chosen };
      if (v.note) body.note = v.note;
      if (v.tracking_number) body.tracking_number = v.tracking_number;
      if (v.courier) body.courier = v.courier;
      const r = await request<Order>('POST', `/api/v1/orders/${encodeURIComponent(props.order.id)}/status`, body);
      if (r.status === 202) {
        const pos = r.headers.get('X-Roms-Position');
        props.onDone(await api.get<Order>(`/api/v1/orders/${encodeURIComponent(props.order.id)}`, { min_position: pos ?? undefined }));
      } else props.onDone(r.data);
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="stack" onSubmit={submit} data-testid="status-form">
      <label>
        {t('order.newStatus')}
        <select name="status" value={chosen} onChange={(e) => setTarget(e.currentTarget.value as OrderStatus)} data-testid="status-select">
          {options.map((s) => (
            <option key={s} value={s}>
              {tx('status', s)}
            </option>
          ))}
        </select>
      </label>
      {chosen === 'shipped' && (
        <div class="row">
          <label>
            {t('order.courier')}
            <input name="courier" placeholder="JNE, J&T, SiCepat…" data-testid="courier" />
          </label>
          <label>
            {t('order.tracking')}
            <input name="tracking_number" data-testid="tracking-number" />
          </label>
        </div>
      )}
      <label>
        {t('order.note')}
        <input name="note" data-testid="status-note" />
      </label>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy} data-testid="status-submit">
        {t('order.apply')}
      </button>
    </form>
  );
}

export function OrderDetail(props: { id: string }) {
  const order = useLoad(() => api.get<Order>(`/api/v1/orders/${encodeURIComponent(props.id)}`), [props.id]);
  const [override, setOverride] = useState<Order | null>(null);
  useLive(['order.'], (e) => {
    if (!e.stream || e.stream === props.id || e.type === 'live.reconnected') {
      setOverride(null);
      void order.reload();
    }
  });
  const o = override ?? order.data;
  if (!o) return order.error ? <ErrorBox error={order.error} onRetry={order.reload} /> : <Loading />;
  return (
    <section class="page" data-testid="page-order">
      <PageHeader title={t('order.title', { id: o.external_id ?? o.id })}>
        <Link href="/orders" class="button">
          ← {t('common.back')}
        </Link>
      </PageHeader>
      <div class="order-head">
        <StatusBadge status={o.status} /> <span class="muted">{t('order.created', { time: dateTime(o.created_at) })}</span>{' '}
        <span class="badge">{tx('channel', o.channel)}</span>
        {o.flags.map((f) => (
          <span class="badge warn" key={f}>
            {f}
          </span>
        ))}
      </div>
      <div class="grid-2">
        <div class="card">
          <h2>{t('order.items')}</h2>
          <div class="table-wrap">
            <table class="table" data-testid="order-items">
              <thead>
                <tr>
                  <th>{t('order.sku')}</th>
                  <th>{t('order.product')}</th>
                  <th class="num">{t('order.qty')}</th>
                  <th class="num">{t('order.price')}</th>
                  <th class="num">{t('order.subtotal')}</th>
                </tr>
              </thead>
              <tbody>
                {o.items.map((i, n) => (
                  <tr key={n}>
                    <td>{i.sku}</td>
                    <td>{i.name}</td>
                    <td class="num">{i.qty}</td>
                    <td class="num nowrap">{rupiah(i.price, o.currency)}</td>
                    <td class="num nowrap">{rupiah(i.subtotal, o.currency)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th colSpan={4}>{t('common.total')}</th>
                  <th class="num nowrap" data-testid="order-total">
                    {rupiah(o.total, o.currency)}
                  </th>
                </tr>
              </tfoot>
            </table>
          </div>
          <dl class="facts">
            <dt>{t('order.customer')}</dt>
            <dd>
              <Link href={`/customers/${encodeURIComponent(o.customer_id)}`}>{o.customer.name}</Link>
              <div class="muted small">{[o.customer.phone, o.customer.email, o.customer.city].filter(Boolean).join(' · ')}</div>
            </dd>
            <dt>{t('order.payment')}</dt>
            <dd>
              {tx('pay', o.payment.method) || '—'}
              {o.payment.timing && <span class="muted"> · {tx('pay', o.payment.timing)}</span>}
            </dd>
            <dt>{t('order.shipping')}</dt>
            <dd data-testid="order-shipping">
              {o.courier || o.tracking_number ? `${o.courier ?? ''} ${o.tracking_number ?? ''}`.trim() : '—'}
            </dd>
            <dt>{t('order.warehouse')}</dt>
            <dd>{o.warehouse}</dd>
            {o.note && (
              <>
                <dt>{t('order.note')}</dt>
                <dd>{o.note}</dd>
              </>
            )}
          </dl>
        </div>
        <div class="card">
          {isAdmin() && (
            <>
              <h2>{t('order.changeStatus')}</h2>
              <StatusForm order={o} onDone={setOverride} />
            </>
          )}
          <h2>{t('order.timeline')}</h2>
          <ol class="timeline" data-testid="timeline">
            {(o.timeline ?? []).map((e) => (
              <li key={e.position} data-testid="timeline-entry">
                <div>
                  <strong>{eventLabel(e.type)}</strong> {e.status && <StatusBadge status={e.status} />}
                </div>
                <div class="muted small">
                  {dateTime(e.at)} · {t('order.by', { actor: e.actor })}
                </div>
                {e.note && <div class="small">{e.note}</div>}
              </li>
            ))}
          </ol>
          {!o.timeline?.length && <Notice>{t('common.empty')}</Notice>}
        </div>
      </div>
    </section>
  );
}
