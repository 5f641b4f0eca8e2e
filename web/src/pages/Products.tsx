import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Link, Loading, Notice, PageHeader, Pager, formValues, useCursorPager, useLoad } from '../components/ui';
import { number, rupiah } from '../format';
import { t } from '../i18n';
import { useLive } from '../live';
import { navigate, setQuery, useRoute } from '../router';
import { isAdmin } from '../session';
import type { Product } from '../types';

export function ProductsPage() {
  const { query } = useRoute();
  const q = query.get('q') ?? '';
  const activeOnly = query.get('active') === 'true';
  const [search, setSearch] = useState(q);
  const pager = useCursorPager(`${q}|${activeOnly}`);
  const list = useLoad(
    () => api.get<Page<Product>>('/api/v1/products', { q, active: activeOnly || undefined, limit: 50, cursor: pager.cursor || undefined }),
    [q, activeOnly, pager.cursor],
  );
  useLive(['product.', 'stock.', 'order.'], () => void list.reload(), 500);
  const admin = isAdmin();
  return (
    <section class="page" data-testid="page-products">
      <PageHeader title={t('products.title')}>
        {admin && (
          <Link href="/products/new" class="button primary" testid="new-product">
            {t('products.new')}
          </Link>
        )}
      </PageHeader>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ q: search.trim(), active: activeOnly ? 'true' : undefined });
        }}
      >
        <label class="grow">
          {t('common.search')}
          <input type="search" value={search} placeholder={t('products.searchPlaceholder')} onInput={(e) => setSearch(e.currentTarget.value)} data-testid="product-q" />
        </label>
        <label class="check">
          <input type="checkbox" checked={activeOnly} onChange={(e) => setQuery({ q, active: e.currentTarget.checked ? 'true' : undefined })} />
          {t('products.activeOnly')}
        </label>
        <button type="submit">{t('common.search')}</button>
      </form>
      <ErrorBox error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading />}
      {list.data && list.data.items.length === 0 && <p class="muted">{t('products.none')}</p>}
      {list.data && list.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="table rows-link" data-testid="products-table">
            <thead>
              <tr>
                <th>{t('products.sku')}</th>
                <th>{t('products.name')}</th>
                <th>{t('products.category')}</th>
                <th class="num">{t('products.price')}</th>
                <th class="num">{t('products.available')}</th>
                <th class="num">{t('products.minStock')}</th>
                <th>{t('products.active')}</th>
                {admin && <th>{t('common.actions')}</th>}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id} data-testid="product-row" data-sku={p.sku} onClick={() => navigate(`/products/${encodeURIComponent(p.id)}`)}>
                  <td class="mono">{p.sku}</td>
                  <td>
                    {p.name}
                    {p.below_min && <span class="badge danger">{t('products.needsRestock')}</span>}
                  </td>
                  <td>{p.category ?? '—'}</td>
                  <td class="num nowrap" data-testid="product-price">
                    {rupiah(p.price)}
                  </td>
                  <td class="num">{number(p.available)}</td>
                  <td class="num">{number(p.min_stock)}</td>
                  <td>{p.active ? t('common.yes') : t('products.inactive')}</td>
                  {admin && (
                    <td>
                      <Link href={`/products/${encodeURIComponent(p.id)}`} testid="edit-product">
                        {t('common.edit')}
                      </Link>
                    </td>
                  )}
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

function ProductView(props: { p: Product }) {
  const p = props.p;
  return (
    <dl class="facts card" data-testid="product-view">
      <dt>{t('products.sku')}</dt>
      <dd class="mono">{p.sku}</dd>
      <dt>{t('products.name')}</dt>
      <dd>{p.name}</dd>
      <dt>{t('products.category')}</dt>
      <dd>{p.category ?? '—'}</dd>
      <dt>{t('products.price')}</dt>
      <dd>{rupiah(p.price)}</dd>
      <dt>{t('products.minStock')}</dt>
      <dd>{number(p.min_stock)}</dd>
      <dt>{t('products.crossSell')}</dt>
      <dd data-testid="product-cross-sell">{p.cross_sell ?? '—'}</dd>
      <dt>{t('products.active')}</dt>
      <dd>{p.active ? t('common.yes') : t('products.inactive')}</dd>
    </dl>
  );
}

function StockTable(props: { p: Product }) {
  if (!props.p.stock?.length) return null;
  return (
    <div class="card">
      <h2>{t('products.stockPerWarehouse')}</h2>
      <table class="table">
        <thead>
          <tr>
            <th>{t('stock.warehouse')}</th>
            <th class="num">{t('products.onHand')}</th>
            <th class="num">{t('products.reserved')}</th>
            <th class="num">{t('products.available')}</th>
          </tr>
        </thead>
        <tbody>
          {props.p.stock.map((s) => (
            <tr key={s.warehouse}>
              <td>{s.warehouse}</td>
              <td class="num">{number(s.on_hand)}</td>
              <td class="num">{number(s.reserved)}</td>
              <td class="num">{number(s.available)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const MONEY_FIELDS = ['price', 'cost', 'min_stock'] as const;
const TEXT_FIELDS = ['sku', 'name', 'category', 'image_url', 'cross_sell'] as const;

// Create (id null) or edit a product (Admin); a read-only view for CS.
export function ProductPage(props: { id: string | null }) {
  const product = useLoad(async () => (props.id ? api.get<Product>(`/api/v1/products/${encodeURIComponent(props.id)}`) : null), [props.id]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const admin = isAdmin();
  const p = product.data;
  if (props.id && !p) return product.error ? <ErrorBox error={product.error} onRetry={product.reload} /> : <Loading />;

  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const active = (form.elements.namedItem('active') as HTMLInputElement).checked;
    const body: Record<string, unknown> = {};
    for (const f of TEXT_FIELDS) {
      const val = (v[f] ?? '').trim();
      if (!p || val !== (p[f] ?? '')) body[f] = val;
    }
    for (const f of MONEY_FIELDS) {
      const val = Number(v[f] || 0);
      if (!p || val !== p[f]) body[f] = val;
    }
    if (!p || active !== p.active) body.active = active;
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      if (!p) {
        const r = await request<Product>('POST', '/api/v1/products', body);
        navigate(r.status === 202 ? '/products' : `/products/${encodeURIComponent(r.data.id)}`, true);
      } else {
        if (Object.keys(body).length) await request<Product>('PATCH', `/api/v1/products/${encodeURIComponent(p.id)}`, body);
        await product.reload();
        setSaved(true);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const title = p ? (admin ? t('products.editTitle', { sku: p.sku }) : p.name) : t('products.createTitle');
  return (
    <section class="page" data-testid="page-product">
      <PageHeader title={title}>
        <Link href="/products" class="button">
          ← {t('common.back')}
        </Link>
      </PageHeader>
      {!admin && p && <ProductView p={p} />}
      {admin && (
        <form class="card stack" onSubmit={submit} data-testid="product-form" key={p?.id ?? 'new'}>
          <div class="row">
            <label>
              {t('products.sku')}
              <input name="sku" required value={p?.sku ?? ''} data-testid="product-sku" />
            </label>
            <label class="grow">
              {t('products.name')}
              <input name="name" required value={p?.name ?? ''} data-testid="product-name" />
            </label>
          </div>
          <div class="row">
            <label>
              {t('products.category')}
              <input name="category" value={p?.category ?? ''} />
            </label>
            <label>
              {t('products.price')} (Rp)
              <input name="price" type="number" min="0" step="1" required value={p?.price ?? ''} data-testid="product-price-input" />
            </label>
            <label>
              {t('products.cost')} (Rp)
              <input name="cost" type="number" min="0" step="1" value={p?.cost ?? 0} />
            </label>
            <label>
              {t('products.minStock')}
              <input name="min_stock" type="number" min="0" step="1" value={p?.min_stock ?? 0} data-testid="product-min-stock" />
            </label>
          </div>
          <label>
            {t('products.crossSell')}
            <textarea name="cross_sell" rows={2} value={p?.cross_sell ?? ''} data-testid="product-cross-sell-input" />
            <span class="hint">{t('products.crossSellHint')}</span>
          </label>
          <label>
            {t('products.imageUrl')}
            <input name="image_url" type="url" value={p?.image_url ?? ''} />
          </label>
          <label class="check">
            <input name="active" type="checkbox" checked={p?.active ?? true} data-testid="product-active" />
            {t('products.active')}
          </label>
          <ErrorBox error={error} />
          {saved && (
            <Notice kind="ok" testid="saved">
              {t('common.saved')}
            </Notice>
          )}
          <button type="submit" class="primary" disabled={busy} data-testid="product-save">
            {busy ? t('common.saving') : t('common.save')}
          </button>
        </form>
      )}
      {p && <StockTable p={p} />}
    </section>
  );
}
