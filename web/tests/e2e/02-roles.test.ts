// Role limits: CS sees no settings, users or API keys, and gets no edit buttons for products
// or orders; the pages themselves refuse a CS who types their address.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, CS, launch, login, newPage, shot } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('CS has no settings or integrations in the menu and cannot open them', async () => {
  const { context, page } = await newPage(browser);
  await login(page, CS);
  const nav = page.getByTestId('nav');
  assert.equal(await nav.getByTestId('nav-settings').count(), 0);
  assert.equal(await nav.getByTestId('nav-integrations').count(), 0);
  assert.equal(await nav.getByTestId('nav-orders').count(), 1);
  for (const path of ['/settings', '/integrations', '/products/new', '/orders/new']) {
    await page.goto(path);
    await page.getByTestId('forbidden').waitFor();
    assert.equal(await page.getByTestId('settings-form').count(), 0);
    assert.equal(await page.getByTestId('api-keys').count(), 0);
  }
  await shot(page, '02-cs-forbidden');
  await context.close();
});

test('CS gets no edit buttons for products and orders', async () => {
  const { context, page } = await newPage(browser);
  await login(page, CS);
  await page.goto('/products');
  await page.getByTestId('products-table').waitFor();
  assert.equal(await page.getByTestId('new-product').count(), 0);
  assert.equal(await page.getByTestId('edit-product').count(), 0);
  await page.getByTestId('product-row').first().click();
  await page.getByTestId('product-view').waitFor();
  assert.equal(await page.getByTestId('product-form').count(), 0);
  await page.goto('/orders');
  await page.getByTestId('orders-table').waitFor();
  assert.equal(await page.getByTestId('new-order').count(), 0);
  await page.getByTestId('order-row').first().click();
  await page.getByTestId('timeline').waitFor();
  assert.equal(await page.getByTestId('status-form').count(), 0);
  await shot(page, '02-cs-order');
  await context.close();
});

test('Admin sees settings and integrations', async () => {
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-form').waitFor();
  await shot(page, '08-settings');
  await page.getByTestId('nav-integrations').click();
  await page.getByTestId('api-keys').waitFor();
  // Later pages appear once the server has their endpoints.
  for (const [nav, testid, name] of [
    ['nav-alerts', 'page-alerts', '16-alerts'],
    ['nav-templates', 'page-templates', '17-templates'],
    ['nav-reminders', 'page-reminders', '18-reminders'],
    ['nav-whatsapp', 'page-whatsapp', '19-whatsapp'],
  ]) {
    if ((await page.getByTestId(nav).count()) === 0) continue;
    await page.getByTestId(nav).click();
    await page.getByTestId(testid).waitFor();
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await shot(page, name);
  }
  await context.close();
});
