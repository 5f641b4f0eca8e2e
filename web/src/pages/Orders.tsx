import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { ErrorBox, Link, Loading, PageHeader, Pager, StatusBadge, useCursorPager, useLoad } from '../components/ui';
import { dateTime, rupiah } from '../format';
import { t, tx } from '../i18n';
import { useLive } from '../live';
import { navigate, setQuery, useRoute } from '../router';
import { isAdmin } from '../session';
import { CHANNELS, ORDER_STATUSES, type Order } from '../types';

export function OrdersPage() {
  const { query } = useRoute();
  const status = query.get('status') ?? '';
  const channel = query.get('channel') ?? '';
  const q = query.get('q') ?? '';
  const customerId = query.get('customer_id') ?? '';
  const [search, setSearch] = useState(q);
  const pager = useCursorPager(`${status}|${channel}|${q}|${customerId}`);
  const list = useLoad(
    () => api.get<Page<Order>>('/api/v1/orders', { status, channel, q, customer_id: customerId, limit: 25, cursor: pager.cursor || undefined }),
    [status, channel, q, customerId, pager.cursor],
  );
  useLive(['order.'], () => void list.reload());

  const set = (k: string, v: string) => setQuery({ status, channel, q, customer_id: customerId, [k]: v });
  return (
    <section class="page" data-testid="page-orders">
      <PageHeader title={t('orders.title')}>
        {isAdmin() && (
          <Link href="/orders/new" class="button primary" testid="new-order">
            {t('orders.new')}
          </Link>
        )}
      </PageHeader>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          set('q', search.trim());
        }}
      >
        <label>
          {t('orders.status')}
          <select value={status} onChange={(e) => set('status', e.currentTarget.value)} data-testid="filter-status">
            <option value="">{t('common.all')}</option>
            {ORDER_STATUSES.map((s) => (
              <option value={s} key={s}>
                {tx('status', s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('orders.channel')}
          <select value={channel} onChange={(e) => set('channel', e.currentTarget.value)} data-testid="filter-channel">
            <option value="">{t('common.all')}</option>
            {CHANNELS.map((c) => (
              <option value={c} key={c}>
                {tx('channel', c)}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          {t('common.search')}
          <input type="search" value={search} placeholder={t('orders.searchPlaceholder')} onInput={(e) => setSearch(e.currentTarget.value)} data-testid="filter-q" />
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading />}
      {list.data && (
        <>
          {list.data.items.length === 0 ? (
            <p class="muted" data-testid="orders-empty">
              {t('orders.none')}
            </p>
          ) : (
            <div class="table-wrap">
              <table class="table rows-link" data-testid="orders-table">
                <thead>
                  <tr>
                    <th>{t('orders.id')}</th>
                    <th>{t('orders.date')}</th>
                    <th>{t('orders.customer')}</th>
                    <th>{t('orders.channel')}</th>
                    <th>{t('orders.status')}</th>
                    <th class="num">{t('orders.total')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((o) => (
                    <tr key={o.id} data-testid="order-row" data-id={o.id} onClick={() => navigate(`/orders/${encodeURIComponent(o.id)}`)}>
                      <td>
                        <Link href={`/orders/${encodeURIComponent(o.id)}`}>{o.external_id ?? o.id}</Link>
                      </td>
                      <td class="nowrap">{dateTime(o.created_at)}</td>
                      <td>
                        {o.customer.name}
                        {o.customer.city && <span class="muted small"> · {o.customer.city}</span>}
                      </td>
                      <td>{tx('channel', o.channel)}</td>
                      <td>
                        <StatusBadge status={o.status} />
                      </td>
                      <td class="num nowrap">{rupiah(o.total, o.currency)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager hasPrev={pager.hasPrev} hasNext={!!list.data.next_cursor} onPrev={pager.prev} onNext={() => pager.next(list.data!.next_cursor)} />
        </>
      )}
    </section>
  );
}
