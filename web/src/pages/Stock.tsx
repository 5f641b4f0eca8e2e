// Stock per warehouse, the "Perlu Restok" list (available below the minimum), and the
// Admin's adjust / transfer / new-warehouse forms.
import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Link, Loading, Notice, PageHeader, Pager, formValues, useCursorPager, useLoad } from '../components/ui';
import { number } from '../format';
import { t } from '../i18n';
import { useLive } from '../live';
import { setQuery, useRoute } from '../router';
import { isAdmin } from '../session';
import type { StockRow, Warehouse } from '../types';


function StockRows(props: { rows: StockRow[]; restock?: boolean; testid: string }) {
  return (
    <div class="table-wrap">
      <table class="table" data-testid={props.testid}>
        <thead>
          <tr>
            <th>{t('products.sku')}</th>
            <th>{t('products.name')}</th>
            <th>{t('stock.warehouse')}</th>
            <th class="num">{t('products.onHand')}</th>
            <th class="num">{t('products.reserved')}</th>
            <th class="num">{t('products.available')}</th>
            <th class="num">{t('products.minStock')}</th>
            {props.restock && <th class="num">{t('stock.suggest')}</th>}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={`${r.product_id}/${r.warehouse}`} class={r.below_min ? 'below-min' : ''} data-testid="stock-row" data-sku={r.sku}>
              <td class="mono">
                <Link href={`/products/${encodeURIComponent(r.product_id)}`}>{r.sku}</Link>
              </td>
              <td>{r.name}</td>
              <td>{r.warehouse}</td>
              <td class="num">{number(r.on_hand)}</td>
              <td class="num">{number(r.reserved)}</td>
              <td class="num" data-testid="stock-available">
                {number(r.available)}
              </td>
              <td class="num">{number(r.min_stock)}</td>
              {props.restock && <td class="num">{number(Math.max(r.min_stock * 2 - r.available, r.min_stock - r.available, 0))}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StockForms(props: { warehouses: Warehouse[]; onDone: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState('');
  async function run(e: Event, path: string, body: (v: Record<string, string>) => unknown) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(null);
    setOk('');
    try {
      await request('POST', path, body(formValues(form)));
      form.reset();
      setOk(t('stock.done'));
      props.onDone();
    } catch (err) {
      setError(err);
    }
  }
  const whOptions = props.warehouses.map((w) => (
    <option key={w.id} value={w.id}>
      {w.name || w.id}
    </option>
  ));
  return (
    <div class="grid-3">
      <form class="card stack" data-testid="adjust-form" onSubmit={(e) => run(e, '/api/v1/stock/adjust', (v) => ({ sku: v.sku.trim().toUpperCase(), warehouse: v.warehouse, delta: Number(v.delta), reason: v.reason }))}>
        <h2>{t('stock.adjust')}</h2>
        <label>
          {t('products.sku')}
          <input name="sku" required data-testid="adjust-sku" />
        </label>
        <label>
          {t('stock.warehouse')}
          <select name="warehouse">{whOptions}</select>
        </label>
        <label>
          {t('stock.delta')}
          <input name="delta" type="number" step="1" required data-testid="adjust-delta" />
        </label>
        <label>
          {t('stock.reason')}
          <input name="reason" required data-testid="adjust-reason" />
        </label>
        <button type="submit" class="primary" data-testid="adjust-submit">
          {t('common.save')}
        </button>
      </form>
      <form class="card stack" data-testid="transfer-form" onSubmit={(e) => run(e, '/api/v1/stock/transfer', (v) => ({ sku: v.sku.trim().toUpperCase(), from: v.from, to: v.to, qty: Number(v.qty) }))}>
        <h2>{t('stock.transfer')}</h2>
        <label>
          {t('products.sku')}
          <input name="sku" required />
        </label>
        <div class="row">
          <label>
            {t('stock.from')}
            <select name="from">{whOptions}</select>
          </label>
          <label>
            {t('stock.to')}
            <select name="to">{whOptions}</select>
          </label>
        </div>
        <label>
          {t('stock.qty')}
          <input name="qty" type="number" min="1" step="1" required />
        </label>
        <button type="submit" class="primary">
          {t('common.save')}
        </button>
      </form>
      <form class="card stack" data-testid="warehouse-form" onSubmit={(e) => run(e, '/api/v1/warehouses', (v) => ({ id: v.id.trim(), name: v.name.trim() }))}>
        <h2>{t('stock.newWarehouse')}</h2>
        <label>
          {t('stock.warehouseId')}
          <input name="id" required pattern="[a-z0-9_\-]+" placeholder="surabaya" />
        </label>
        <label>
          {t('stock.warehouseName')}
          <input name="name" required placeholder="Gudang Surabaya" />
        </label>
        <button type="submit" class="primary">
          {t('common.create')}
        </button>
      </form>
      <div class="span-3">
        <ErrorBox error={error} />
        {ok && (
          <Notice kind="ok" testid="stock-ok">
            {ok}
          </Notice>
        )}
      </div>
    </div>
  );
}

export function StockPage() {
  const { query } = useRoute();
  const warehouse = query.get('warehouse') ?? '';
  const pager = useCursorPager(warehouse);
  const warehouses = useLoad(() => api.get<Page<Warehouse>>('/api/v1/warehouses'), []);
  const restock = useLoad(() => api.get<Page<StockRow>>('/api/v1/stock', { warehouse, below_min: true, limit: 500 }), [warehouse]);
  const all = useLoad(() => api.get<Page<StockRow>>('/api/v1/stock', { warehouse, limit: 100, cursor: pager.cursor || undefined }), [warehouse, pager.cursor]);
  const reload = () => {
    void restock.reload();
    void all.reload();
  };
  useLive(['stock.', 'product.', 'order.', 'warehouse.'], (e) => {
    if (e.type.startsWith('warehouse.')) void warehouses.reload();
    reload();
  }, 500);
  const whs = warehouses.data?.items ?? [{ id: 'main', name: 'main' }];
  return (
    <section class="page" data-testid="page-stock">
      <PageHeader title={t('stock.title')}>
        <label class="inline">
          {t('stock.warehouse')}{' '}
          <select value={warehouse} onChange={(e) => setQuery({ warehouse: e.currentTarget.value })} data-testid="warehouse-filter">
            <option value="">{t('stock.allWarehouses')}</option>
            {whs.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name || w.id}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      <div class="card restock" data-testid="restock">
        <h2>
          {t('stock.restock')} {restock.data && <span class="badge danger" data-testid="restock-count">{restock.data.items.length}</span>}
        </h2>
        <p class="muted small">{t('stock.restockHint')}</p>
        <ErrorBox error={restock.error} />
        {!restock.data && <Loading />}
        {restock.data && restock.data.items.length === 0 && <p class="muted">{t('stock.restockNone')}</p>}
        {restock.data && restock.data.items.length > 0 && <StockRows rows={restock.data.items} restock testid="restock-table" />}
      </div>
      {isAdmin() && <StockForms warehouses={whs} onDone={reload} />}
      <div class="card">
        <h2>{t('stock.all')}</h2>
        <ErrorBox error={all.error} />
        {!all.data && <Loading />}
        {all.data && <StockRows rows={all.data.items} testid="stock-table" />}
        {all.data && <Pager hasPrev={pager.hasPrev} hasNext={!!all.data.next_cursor} onPrev={pager.prev} onNext={() => pager.next(all.data!.next_cursor)} />}
      </div>
    </section>
  );
}
