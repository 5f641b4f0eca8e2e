import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Link, Loading, Notice, PageHeader, Pager, SegmentBadge, StatusBadge, formValues, useCursorPager, useLoad } from '../components/ui';
import { date, dateTime, number, rupiah } from '../format';
import { t, tx } from '../i18n';
import { useLive } from '../live';
import { navigate, setQuery, useRoute } from '../router';
import { SEGMENTS, type Customer } from '../types';

export function CustomersPage() {
  const { query } = useRoute();
  const segment = query.get('segment') ?? '';
  const city = query.get('city') ?? '';
  const q = query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const [cityInput, setCityInput] = useState(city);
  const pager = useCursorPager(`${segment}|${city}|${q}`);
  const list = useLoad(
    () => api.get<Page<Customer>>('/api/v1/customers', { segment, city, q, limit: 50, cursor: pager.cursor || undefined }),
    [segment, city, q, pager.cursor],
  );
  useLive(['customer.', 'order.'], () => void list.reload(), 500);
  return (
    <section class="page" data-testid="page-customers">
      <PageHeader title={t('customers.title')} />
      <div class="chips" data-testid="segment-filter">
        <button type="button" class={segment === '' ? 'chip active' : 'chip'} onClick={() => setQuery({ city, q })}>
          {t('common.all')}
        </button>
        {SEGMENTS.map((s) => (
          <button type="button" key={s} class={segment === s ? `chip active seg-${s}` : `chip seg-${s}`} onClick={() => setQuery({ segment: s, city, q })} data-testid={`segment-${s}`}>
            {tx('segment', s)}
          </button>
        ))}
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ segment, city: cityInput.trim(), q: search.trim() });
        }}
      >
        <label class="grow">
          {t('common.search')}
          <input type="search" value={search} placeholder={t('customers.searchPlaceholder')} onInput={(e) => setSearch(e.currentTarget.value)} data-testid="customer-q" />
        </label>
        <label>
          {t('customers.city')}
          <input value={cityInput} onInput={(e) => setCityInput(e.currentTarget.value)} data-testid="customer-city-filter" />
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.items.length === 0 && <p class="muted">{t('customers.none')}</p>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="table rows-link" data-testid="customers-table">
            <thead>
              <tr>
                <th>{t('customers.name')}</th>
                <th>{t('customers.segment')}</th>
                <th>{t('customers.phone')}</th>
                <th>{t('customers.city')}</th>
                <th class="num">{t('customers.orders')}</th>
                <th class="num">{t('customers.spent')}</th>
                <th>{t('customers.lastOrder')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id} data-testid="customer-row" data-id={c.id} onClick={() => navigate(`/customers/${encodeURIComponent(c.id)}`)}>
                  <td>
                    <Link href={`/customers/${encodeURIComponent(c.id)}`}>{c.name || c.phone}</Link>
                  </td>
                  <td>
                    <SegmentBadge segment={c.primary_segment} primary />
                  </td>
                  <td class="nowrap">{c.phone ?? '—'}</td>
                  <td>{c.city ?? '—'}</td>
                  <td class="num">{number(c.order_count)}</td>
                  <td class="num nowrap">{rupiah(c.total_spent)}</td>
                  <td class="nowrap">{date(c.last_order_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {list.data && <Pager hasPrev={pager.hasPrev} hasNext={!!list.data.next_cursor} onPrev={pager.prev} onNext={() => pager.next(list.data!.next_cursor)} />}
    </section>
  );
}

export function CustomerDetail(props: { id: string }) {
  const customer = useLoad(() => api.get<Customer>(`/api/v1/customers/${encodeURIComponent(props.id)}`), [props.id]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useLive(['customer.', 'order.'], (e) => {
    if (!e.stream || e.stream === props.id || e.type.startsWith('order.') || e.type === 'live.reconnected') void customer.reload();
  }, 400);
  const c = customer.data;
  if (!c) return customer.error ? <ErrorBox error={customer.error} onRetry={customer.reload} /> : <Loading />;

  async function submit(e: Event) {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    const body: Record<string, string> = {};
    if (v.name.trim() !== c!.name) body.name = v.name.trim();
    if (v.email.trim() !== (c!.email ?? '')) body.email = v.email.trim();
    if (v.city.trim() !== (c!.city ?? '')) body.city = v.city.trim();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      if (Object.keys(body).length) await request('PATCH', `/api/v1/customers/${encodeURIComponent(c!.id)}`, body);
      await customer.reload();
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="page" data-testid="page-customer">
      <PageHeader title={c.name || c.phone || c.id}>
        <Link href="/customers" class="button">
          ← {t('common.back')}
        </Link>
      </PageHeader>
      <div class="chips">
        {c.segments.map((s) => (
          <SegmentBadge key={s} segment={s} primary={s === c.primary_segment} />
        ))}
      </div>
      <div class="grid-2">
        <div class="card">
          <dl class="facts">
            <dt>{t('customers.phone')}</dt>
            <dd data-testid="customer-phone">{c.phone ?? '—'}</dd>
            <dt>{t('customers.email')}</dt>
            <dd>{c.email ?? '—'}</dd>
            <dt>{t('customers.city')}</dt>
            <dd>{[c.city, c.province].filter(Boolean).join(', ') || '—'}</dd>
            <dt>{t('customers.orders')}</dt>
            <dd>{number(c.order_count)}</dd>
            <dt>{t('customers.spent')}</dt>
            <dd data-testid="customer-spent">{rupiah(c.total_spent)}</dd>
            <dt>{t('customers.firstOrder')}</dt>
            <dd>{dateTime(c.first_order_at)}</dd>
            <dt>{t('customers.lastOrder')}</dt>
            <dd>{dateTime(c.last_order_at)}</dd>
          </dl>
        </div>
        <form class="card stack" onSubmit={submit} data-testid="customer-form" key={`${c.name}|${c.email}|${c.city}`}>
          <h2>{t('customers.rename')}</h2>
          <label>
            {t('customers.name')}
            <input name="name" required value={c.name} data-testid="customer-name-input" />
          </label>
          <label>
            {t('customers.email')}
            <input name="email" type="email" value={c.email ?? ''} />
          </label>
          <label>
            {t('customers.city')}
            <input name="city" value={c.city ?? ''} />
          </label>
          <ErrorBox error={error} />
          {saved && (
            <Notice kind="ok" testid="saved">
              {t('common.saved')}
            </Notice>
          )}
          <button type="submit" class="primary" disabled={busy} data-testid="customer-save">
            {busy ? t('common.saving') : t('common.save')}
          </button>
        </form>
      </div>
      <div class="card">
        <h2>{t('customers.recentOrders')}</h2>
        <div class="table-wrap">
          <table class="table rows-link" data-testid="customer-orders">
            <thead>
              <tr>
                <th>{t('orders.id')}</th>
                <th>{t('orders.date')}</th>
                <th>{t('orders.status')}</th>
                <th class="num">{t('orders.total')}</th>
              </tr>
            </thead>
            <tbody>
              {(c.recent_orders ?? []).map((o) => (
                <tr key={o.id} onClick={() => navigate(`/orders/${encodeURIComponent(o.id)}`)}>
                  <td>
                    <Link href={`/orders/${encodeURIComponent(o.id)}`}>{o.external_id ?? o.id}</Link>
                  </td>
                  <td class="nowrap">{dateTime(o.created_at)}</td>
                  <td>
                    <StatusBadge status={o.status} />
                  </td>
                  <td class="num nowrap">{rupiah(o.total, o.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>
          <Link href={`/orders?customer_id=${encodeURIComponent(c.id)}`}>{t('nav.orders')} →</Link>
        </p>
      </div>
    </section>
  );
}
