import { useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { SalesChart, StatusBars, type DayTotal } from '../components/Charts';
import { ErrorBox, Link, Loading, PageHeader, useLoad } from '../components/ui';
import { currentFeatures } from '../features';
import { date, dateTime, localDate, number, rupiah, time } from '../format';
import { t } from '../i18n';
import { useLive } from '../live';
import { ORDER_STATUSES, type Alert, type Dashboard, type Order } from '../types';

const DAY_MS = 86_400_000;

function isoNoMillis(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Sales per shop-local day over the 30 days ending `today` (cancelled orders count for
// nothing), from the orders list.
async function last30Days(today: string): Promise<DayTotal[]> {
  const endMs = Date.parse(`${today}T00:00:00Z`);
  const days: DayTotal[] = [];
  for (let i = 29; i >= 0; i--) days.push({ date: new Date(endMs - i * DAY_MS).toISOString().slice(0, 10), total: 0, orders: 0 });
  const byDate = new Map(days.map((d) => [d.date, d]));
  // Start 14 h early to cover any shop time zone, filter by local date below.
  const from = isoNoMillis(endMs - 29 * DAY_MS - 14 * 3600_000);
  let cursor: string | null = null;
  for (let pages = 0; pages < 40; pages++) {
    const page: Page<Order> = await api.get<Page<Order>>('/api/v1/orders', { from, limit: 500, cursor: cursor ?? undefined });
    for (const o of page.items) {
      if (o.status === 'cancelled') continue;
      const d = byDate.get(localDate(o.created_at));
      if (!d) continue;
      d.total += o.total;
      d.orders += 1;
    }
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return days;
}

export function DashboardPage() {
  const [updated, setUpdated] = useState<Date | null>(null);
  const today = useLoad(async () => {
    const d = await api.get<Dashboard>('/api/v1/dashboard/today');
    setUpdated(new Date());
    return d;
  }, []);
  const chart = useLoad(async () => (today.data ? last30Days(today.data.date) : undefined), [today.data?.date]);
  const alertsOn = currentFeatures().alerts;
  const alerts = useLoad(async () => (alertsOn ? (await api.get<Page<Alert>>('/api/v1/alerts', { state: 'open', limit: 5 })).items : []), [alertsOn]);

  useLive(['order.', 'customer.', 'stock.', 'product.', 'message.', 'conversation.', 'settings.', 'whatsapp.'], (e) => {
    void today.reload();
    if (e.type.startsWith('order.') || e.type === 'live.reconnected') void chart.reload();
  });
  useLive(['alert.'], () => void alerts.reload());

  const d = today.data;
  if (!d && today.loading) return <Loading />;
  const wa = d?.whatsapp?.status ?? 'unknown';
  const chartTotal = (chart.data ?? []).reduce((s, x) => s + x.total, 0);
  return (
    <section class="page" data-testid="page-dashboard">
      <PageHeader title={t('dash.title')}>
        {d && <span class="muted">{t('dash.today', { date: date(d.date) })}</span>}
      </PageHeader>
      <ErrorBox error={today.error} onRetry={today.reload} />
      {d && (
        <>
          <div class="kpis">
            <div class="kpi card" data-testid="kpi-chats">
              <span class="kpi-label">{t('dash.chats')}</span>
              <span class="kpi-value">{number(d.chats)}</span>
            </div>
            <div class="kpi card" data-testid="kpi-new-orders">
              <span class="kpi-label">{t('dash.newOrders')}</span>
              <span class="kpi-value" data-testid="new-orders">
                {number(d.new_orders)}
              </span>
            </div>
            <div class="kpi card" data-testid="kpi-sales">
              <span class="kpi-label">{t('dash.sales')}</span>
              <span class="kpi-value" data-testid="sales-total">
                {rupiah(d.sales_total, d.currency)}
              </span>
            </div>
            <div class="kpi card" data-testid="kpi-whatsapp">
              <span class="kpi-label">{t('dash.whatsapp')}</span>
              <span class={`kpi-value wa wa-${wa}`}>
                <span class="dot" />{' '}
                {wa === 'connected' ? t('dash.wa.connected') : wa === 'disconnected' ? t('dash.wa.disconnected') : t('dash.wa.unknown')}
              </span>
            </div>
          </div>
          <div class="grid-2">
            <div class="card">
              <h2>{t('dash.chart')}</h2>
              {chart.data ? <SalesChart days={chart.data} /> : <Loading />}
              <ErrorBox error={chart.error} />
              <p class="muted" data-testid="chart-total">
                {t('dash.chartTotal', { total: rupiah(chartTotal) })}
              </p>
            </div>
            <div class="card">
              <h2>{t('dash.byStatus')}</h2>
              <StatusBars counts={d.orders_by_status} order={ORDER_STATUSES} />
              <h2>{t('dash.lowStock')}</h2>
              <p>
                <Link href="/stock" class={d.low_stock_products > 0 ? 'danger-text' : ''} testid="low-stock-link">
                  {t('dash.lowStockLink', { count: d.low_stock_products })}
                </Link>
              </p>
              {alertsOn && (
                <>
                  <h2>{t('dash.alerts')}</h2>
                  {alerts.data && alerts.data.length === 0 && <p class="muted">{t('dash.noAlerts')}</p>}
                  <ul class="alerts" data-testid="dash-alerts">
                    {(alerts.data ?? []).map((a) => (
                      <li key={a.id} class={`alert sev-${a.severity ?? 'info'}`}>
                        <strong>{a.title ?? a.type ?? a.kind}</strong> {a.message} <span class="muted">{dateTime(a.created_at ?? a.raised_at)}</span>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          </div>
          {updated && (
            <p class="muted small" data-testid="dash-updated">
              {t('dash.updated', { time: time(updated) })}
            </p>
          )}
        </>
      )}
    </section>
  );
}
