// Manual entry of a phone order and its way through Pending → Processed → Shipped →
// Delivered, each step on the timeline.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, ApiSession, RUPIAH, launch, login, newPage, norm, productInStock, rupiahOf, shot } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a manual order goes from pending to delivered', async () => {
  const api = await ApiSession.login(ADMIN);
  const product = await productInStock(api, 3);
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('nav-orders').click();
  await page.getByTestId('orders-table').waitFor();
  await shot(page, '03-orders');
  await page.getByTestId('new-order').click();
  await page.getByTestId('new-order-form').waitFor();
  await page.getByTestId('order-channel').selectOption('phone');
  await page.getByTestId('customer-name').fill('Siti Rahmawati');
  await page.getByTestId('customer-phone').fill('0812-7777-0101');
  await page.getByTestId('customer-city').fill('Yogyakarta');
  await page.getByTestId('item-sku-0').fill(product.sku);
  await page.getByTestId('item-qty-0').fill('2');
  await page.getByTestId('payment-method').selectOption('cod');
  assert.equal(norm(await page.getByTestId('order-estimate').innerText()), norm(rupiahOf(product.price * 2)));
  await shot(page, '04-new-order');
  await page.getByTestId('order-submit').click();

  await page.getByTestId('page-order').waitFor();
  const badge = page.locator('.order-head [data-testid=status-badge]');
  assert.equal(await badge.innerText(), 'Menunggu');
  const total = norm(await page.getByTestId('order-total').innerText());
  assert.match(total, RUPIAH);
  assert.equal(total, norm(rupiahOf(product.price * 2)));

  const steps: [string, string][] = [
    ['processed', 'Diproses'],
    ['shipped', 'Dikirim'],
    ['delivered', 'Diterima'],
  ];
  for (const [status, label] of steps) {
    await page.getByTestId('status-select').selectOption(status);
    if (status === 'shipped') {
      await page.getByTestId('courier').fill('JNE');
      await page.getByTestId('tracking-number').fill('JNE0012345678');
    }
    await page.getByTestId('status-submit').click();
    await page.waitForFunction(
      (l) => document.querySelector('.order-head [data-testid=status-badge]')?.textContent === l,
      label,
    );
  }
  assert.match(await page.getByTestId('order-shipping').innerText(), /JNE0012345678/);
  assert.equal(await page.getByTestId('status-form').count(), 0); // delivered is final
  assert.ok((await page.getByTestId('timeline-entry').count()) >= 4);
  await shot(page, '05-order-detail');

  // The server agrees.
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  const o = await api.call<{ status: string; tracking_number: string; channel: string; timeline: unknown[] }>('GET', `/api/v1/orders/${encodeURIComponent(id)}`);
  assert.equal(o.data.status, 'delivered');
  assert.equal(o.data.channel, 'phone');
  assert.equal(o.data.tracking_number, 'JNE0012345678');

  // The list filters by status and finds it by name.
  await page.goto('/orders?status=delivered&q=Siti%20Rahmawati');
  await page.getByTestId('orders-table').waitFor();
  assert.ok((await page.locator(`[data-testid=order-row][data-id="${id}"]`).count()) === 1);
  await context.close();
});
