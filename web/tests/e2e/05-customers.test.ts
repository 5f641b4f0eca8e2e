// Customers: list with segment badges and filters; rename ("Budi123" → "Budi Santoso").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, ApiSession, CS, launch, login, newPage, shot } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('customers show segment badges and filter by segment', async () => {
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('nav-customers').click();
  await page.getByTestId('customers-table').waitFor();
  assert.ok((await page.getByTestId('segment-badge').count()) > 0);
  await shot(page, '09-customers');
  await page.getByTestId('segment-regular').click();
  await page.waitForURL(/segment=regular/);
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('[data-testid=customers-table] [data-testid=segment-badge]')];
    return b.length === 0 ? document.body.textContent?.includes('Tidak ada pelanggan') : b.every((x) => x.textContent === 'Reguler');
  });
  await context.close();
});

test('CS renames a customer and the list shows the new name', async () => {
  const api = await ApiSession.login(ADMIN);
  const list = await api.call<{ items: { id: string; name: string }[] }>('GET', '/api/v1/customers?limit=5');
  const c = list.data.items[0];
  const newName = `Budi Santoso ${Date.now() % 10000}`;
  const { context, page } = await newPage(browser);
  await login(page, CS);
  await page.goto(`/customers/${encodeURIComponent(c.id)}`);
  await page.getByTestId('customer-form').waitFor();
  await page.getByTestId('customer-name-input').fill(newName);
  await page.getByTestId('customer-save').click();
  await page.getByTestId('saved').waitFor();
  await page.locator('h1', { hasText: newName }).waitFor();
  await shot(page, '10-customer-detail');
  const after = await api.call<{ name: string }>('GET', `/api/v1/customers/${encodeURIComponent(c.id)}`);
  assert.equal(after.data.name, newName);
  await page.goto(`/customers?q=${encodeURIComponent(newName)}`);
  await page.locator('[data-testid=customer-row]', { hasText: newName }).waitFor();
  await context.close();
});
