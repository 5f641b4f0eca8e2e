// Live update: an order POSTed to the API with an API key (created through the UI) shows on
// an open dashboard and orders list without a reload.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, ApiSession, launch, login, newPage, productInStock, shot, withKey } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

function count(s: string): number {
  return Number(s.replace(/\D/g, ''));
}

test('a new API order appears on the open dashboard and orders list without reload', async () => {
  const api = await ApiSession.login(ADMIN);
  const product = await productInStock(api, 2);

  // The key, created through the UI (shown once).
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('nav-integrations').click();
  await page.getByTestId('key-name').fill('Toko online (tes)');
  await page.getByTestId('key-create').click();
  const key = (await page.getByTestId('new-key-value').innerText()).trim();
  assert.ok(key.length >= 20, 'a key is shown once');
  await page.getByTestId('openapi-docs').waitFor();
  if ((await page.getByTestId('endpoint').count()) > 0) await page.locator('[data-testid=endpoint] summary').first().click();
  await shot(page, '11-integrations');

  // A second device: the orders list.
  const other = await context.newPage();
  await other.goto('/orders');
  await other.getByTestId('orders-table').waitFor();

  await page.getByTestId('nav-dashboard').click();
  const kpi = page.getByTestId('new-orders');
  await kpi.waitFor();
  await page.waitForSelector('[data-testid=live-state][data-state=open]');
  await other.waitForSelector('[data-testid=live-state][data-state=open]');
  const before = count(await kpi.innerText());
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

  const ext = `live-${Date.now()}`;
  const r = await withKey<{ id: string }>(key, 'POST', '/api/v1/orders', {
    external_id: ext,
    channel: 'web',
    customer: { name: 'Dewi Lestari', phone: '0813-2222-3333', city: 'Bandung' },
    items: [{ sku: product.sku, qty: 1 }],
    payment: { method: 'bank_transfer', timing: 'prepaid' },
  });
  assert.ok(r.status === 201 || r.status === 202, `POST /orders answered ${r.status}`);

  await page.waitForFunction(
    (b) => Number((document.querySelector('[data-testid=new-orders]')?.textContent ?? '').replace(/\D/g, '')) > b,
    before,
    { timeout: 20_000 },
  );
  assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, 'no reload');
  await shot(page, '12-dashboard-live');
  if (r.status === 201) await other.locator(`[data-testid=order-row][data-id="${r.data.id}"]`).waitFor({ timeout: 20_000 });
  await context.close();
});
