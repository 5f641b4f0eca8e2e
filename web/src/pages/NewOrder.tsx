// Manual entry of a phone / walk-in order (Admin): customer, items by SKU, payment.
import { useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, request, type Page } from '../api';
import { ErrorBox, Link, Notice, PageHeader, formValues, useLoad } from '../components/ui';
import { rupiah } from '../format';
import { t, tx } from '../i18n';
import { navigate } from '../router';
import { PAYMENT_METHODS, type Order, type Product } from '../types';

interface Line {
  sku: string;
  qty: number;
}

const MANUAL_CHANNELS = ['phone', 'walk_in', 'whatsapp', 'web', 'marketplace'] as const;

function newKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

export function NewOrderPage() {
  const products = useLoad(() => api.get<Page<Product>>('/api/v1/products', { active: true, limit: 500 }), []);
  const [lines, setLines] = useState<Line[]>([{ sku: '', qty: 1 }]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  // One key per filled-in order: a double click or a retry after a timeout places one order.
  const idemKey = useRef(newKey());
  const bySku = useMemo(() => new Map((products.data?.items ?? []).map((p) => [p.sku.toUpperCase(), p])), [products.data]);
  const estimate = lines.reduce((s, l) => s + (bySku.get(l.sku.trim().toUpperCase())?.price ?? 0) * (l.qty || 0), 0);

  const update = (i: number, patch: Partial<Line>) => {
    setLines(lines.map((l, n) => (n === i ? { ...l, ...patch } : l)));
    idemKey.current = newKey();
  };

  async function submit(e: Event) {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    const items = lines.filter((l) => l.sku.trim()).map((l) => ({ sku: l.sku.trim().toUpperCase(), qty: Number(l.qty) }));
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const body = {
        channel: v.channel,
        customer: { name: v.name.trim(), phone: v.phone.trim(), email: v.email.trim() || undefined, city: v.city.trim() || undefined },
        items,
        payment: { method: v.method, timing: v.timing },
        note: v.note.trim() || undefined,
      };
      const r = await request<Order | { status: string; position: string }>('POST', '/api/v1/orders', body, { 'Idempotency-Key': idemKey.current });
      if (r.status === 202) {
        setNotice(t('common.applying'));
        return;
      }
      navigate(`/orders/${encodeURIComponent((r.data as Order).id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'out_of_stock') setError(new Error(t('neworder.outOfStock', { message: err.message })));
      else setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="page" data-testid="page-new-order">
      <PageHeader title={t('neworder.title')}>
        <Link href="/orders" class="button">
          ← {t('common.back')}
        </Link>
      </PageHeader>
      <form class="card stack" onSubmit={submit} data-testid="new-order-form" onInput={() => (idemKey.current = newKey())}>
        <label>
          {t('neworder.channel')}
          <select name="channel" data-testid="order-channel">
            {MANUAL_CHANNELS.map((c) => (
              <option key={c} value={c}>
                {tx('channel', c)}
              </option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>{t('neworder.customer')}</legend>
          <div class="row">
            <label>
              {t('neworder.name')}
              <input name="name" required data-testid="customer-name" />
            </label>
            <label>
              {t('neworder.phone')}
              <input name="phone" type="tel" required placeholder="0812-3456-7890" data-testid="customer-phone" />
            </label>
          </div>
          <div class="row">
            <label>
              {t('neworder.city')}
              <input name="city" data-testid="customer-city" />
            </label>
            <label>
              {t('neworder.email')}
              <input name="email" type="email" data-testid="customer-email" />
            </label>
          </div>
        </fieldset>
        <fieldset>
          <legend>{t('neworder.items')}</legend>
          <datalist id="skus">
            {(products.data?.items ?? []).map((p) => (
              <option key={p.id} value={p.sku}>
                {p.name}
              </option>
            ))}
          </datalist>
          {lines.map((l, i) => {
            const p = bySku.get(l.sku.trim().toUpperCase());
            return (
              <div class="row item-line" key={i} data-testid="item-line">
                <label>
                  {t('neworder.sku')}
                  <input list="skus" value={l.sku} required={i === 0} onInput={(e) => update(i, { sku: e.currentTarget.value })} data-testid={`item-sku-${i}`} />
                </label>
                <label class="narrow">
                  {t('neworder.qty')}
                  <input type="number" min="1" value={l.qty} onInput={(e) => update(i, { qty: Number(e.currentTarget.value) })} data-testid={`item-qty-${i}`} />
                </label>
                <div class="item-info small">
                  {l.sku.trim() && !p && products.data ? (
                    <span class="danger-text">{t('neworder.unknownSku')}</span>
                  ) : p ? (
                    <>
                      {p.name} · {rupiah(p.price)} · <span class="muted">{t('neworder.available', { n: p.available })}</span>
                    </>
                  ) : null}
                </div>
                {lines.length > 1 && (
                  <button type="button" class="link" onClick={() => setLines(lines.filter((_, n) => n !== i))}>
                    {t('common.remove')}
                  </button>
                )}
              </div>
            );
          })}
          <button type="button" onClick={() => setLines([...lines, { sku: '', qty: 1 }])} data-testid="add-item">
            {t('neworder.addItem')}
          </button>
        </fieldset>
        <fieldset>
          <legend>{t('neworder.payment')}</legend>
          <div class="row">
            <label>
              {t('neworder.method')}
              <select name="method" data-testid="payment-method">
                {PAYMENT_METHODS.map((m) => (
                  <option key={m} value={m}>
                    {tx('pay', m)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('neworder.timing')}
              <select name="timing" data-testid="payment-timing">
                <option value="prepaid">{t('pay.prepaid')}</option>
                <option value="postpaid">{t('pay.postpaid')}</option>
              </select>
            </label>
          </div>
        </fieldset>
        <label>
          {t('neworder.note')}
          <textarea name="note" rows={2} />
        </label>
        <p>
          {t('neworder.estimate')}: <strong data-testid="order-estimate">{rupiah(estimate)}</strong>
        </p>
        <ErrorBox error={error} />
        {notice && <Notice>{notice}</Notice>}
        <button type="submit" class="primary" disabled={busy} data-testid="order-submit">
          {t('neworder.submit')}
        </button>
      </form>
    </section>
  );
}
