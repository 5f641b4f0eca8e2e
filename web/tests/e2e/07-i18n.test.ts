// Indonesian by default, English on the switch (kept across reloads), Rupiah formatting,
// and screenshots of the main pages on a laptop and on a phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, PHONE, RUPIAH, launch, login, newPage, norm, shot } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('Indonesian first, English on the switch, kept after reload', async () => {
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('page-dashboard').waitFor();
  assert.equal(await page.getByTestId('nav-orders').innerText(), 'Pesanan');
  assert.equal(await page.locator('h1').innerText(), 'Dasbor');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'id');
  await page.getByTestId('lang-switch').click();
  await page.getByText('Dashboard', { exact: true }).first().waitFor();
  assert.equal(await page.getByTestId('nav-orders').innerText(), 'Orders');
  assert.equal(await page.locator('h1').innerText(), 'Dashboard');
  await page.reload();
  await page.getByTestId('nav-orders').waitFor();
  assert.equal(await page.getByTestId('nav-orders').innerText(), 'Orders');
  await shot(page, '13-dashboard-en');
  // Money stays Rupiah in English too.
  assert.match(norm(await page.getByTestId('sales-total').innerText()), RUPIAH);
  await page.getByTestId('lang-switch').click();
  await page.getByText('Pesanan', { exact: true }).first().waitFor();
  await context.close();
});

test('Rupiah and WIB are shown; the dashboard has its chart and statuses', async () => {
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  const sales = page.getByTestId('sales-total');
  await sales.waitFor();
  assert.match(norm(await sales.innerText()), RUPIAH);
  await page.getByTestId('sales-chart').waitFor();
  assert.ok((await page.locator('[data-testid=sales-chart] rect.bar').count()) === 30);
  assert.match(norm(await page.getByTestId('chart-total').innerText()), /Rp\s?\d/);
  await page.getByTestId('status-bars').waitFor();
  await shot(page, '00-dashboard');
  await page.goto('/orders');
  await page.getByTestId('orders-table').waitFor();
  const first = await page.locator('[data-testid=order-row] td').nth(1).innerText();
  assert.match(first, /WIB$/);
  await context.close();
});

test('phone layout: the menu opens from the header', async () => {
  const { context, page } = await newPage(browser, PHONE);
  await login(page, ADMIN);
  await page.getByTestId('page-dashboard').waitFor();
  await page.getByTestId('sales-chart').waitFor();
  await shot(page, '14-phone-dashboard');
  assert.equal(await page.getByTestId('nav').isVisible(), false);
  await page.getByTestId('menu-button').click();
  await page.getByTestId('nav-orders').click();
  await page.getByTestId('orders-table').waitFor();
  assert.equal(await page.getByTestId('nav').isVisible(), false);
  await shot(page, '15-phone-orders');
  await context.close();
});
