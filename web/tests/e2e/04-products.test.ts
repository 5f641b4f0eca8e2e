// Product edit (price, cross-sell text) and the stock page with the "Perlu Restok" list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, ApiSession, RUPIAH, launch, login, newPage, norm, rupiahOf, shot } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('Admin edits a product price and its cross-sell text', async () => {
  const api = await ApiSession.login(ADMIN);
  const list = await api.call<{ items: { id: string; sku: string; price: number }[] }>('GET', '/api/v1/products?limit=5');
  const p = list.data.items[0];
  const newPrice = p.price + 1250000;
  const text = 'Kak, sekalian Gula Aren-nya biar makin nikmat!';
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('nav-products').click();
  await page.getByTestId('products-table').waitFor();
  for (const cell of await page.getByTestId('product-price').allInnerTexts()) assert.match(norm(cell), RUPIAH);
  await shot(page, '06-products');
  await page.locator(`[data-testid=product-row][data-sku="${p.sku}"] [data-testid=edit-product]`).click();
  await page.getByTestId('product-form').waitFor();
  await page.getByTestId('product-price-input').fill(String(newPrice));
  await page.getByTestId('product-cross-sell-input').fill(text);
  await page.getByTestId('product-save').click();
  await page.getByTestId('saved').waitFor();
  await shot(page, '06-product-edit');

  const after = await api.call<{ price: number; cross_sell: string }>('GET', `/api/v1/products/${encodeURIComponent(p.id)}`);
  assert.equal(after.data.price, newPrice);
  assert.equal(after.data.cross_sell, text);

  await page.goto(`/products?q=${encodeURIComponent(p.sku)}`);
  const price = page.locator(`[data-testid=product-row][data-sku="${p.sku}"] [data-testid=product-price]`);
  await price.waitFor();
  assert.equal(norm(await price.innerText()), norm(rupiahOf(newPrice)));
  await context.close();
});

test('the stock page lists what needs restocking and adjusts stock', async () => {
  const api = await ApiSession.login(ADMIN);
  const list = await api.call<{ items: { id: string; sku: string; available: number; min_stock: number }[] }>('GET', '/api/v1/products?limit=50');
  const p = list.data.items[list.data.items.length - 1];
  // Make sure one product is below its minimum: raise the minimum above what is available.
  await api.call('PATCH', `/api/v1/products/${encodeURIComponent(p.id)}`, { min_stock: p.available + 5 });
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('nav-stock').click();
  await page.getByTestId('restock-table').waitFor();
  await page.locator(`[data-testid=restock-table] [data-testid=stock-row][data-sku="${p.sku}"]`).first().waitFor();
  await shot(page, '07-stock');
  await page.getByTestId('adjust-sku').fill(p.sku);
  await page.getByTestId('adjust-delta').fill('10');
  await page.getByTestId('adjust-reason').fill('Barang datang dari pemasok');
  await page.getByTestId('adjust-submit').click();
  await page.getByTestId('stock-ok').waitFor();
  const after = await api.call<{ on_hand: number }>('GET', `/api/v1/products/${encodeURIComponent(p.id)}`);
  assert.ok(after.data.on_hand >= 10);
  await context.close();
});
