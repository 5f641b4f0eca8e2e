// Login with a good and a bad password; a reloaded page recovers its session (auth/me);
// logout.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN, launch, login, newPage, shot } from './harness.js';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a wrong password is refused with a message, and no session starts', async () => {
  const { context, page } = await newPage(browser);
  await page.goto('/');
  await page.getByTestId('login-form').waitFor();
  await shot(page, '01-login');
  await page.getByTestId('login-email').fill(ADMIN.email);
  await page.getByTestId('login-password').fill('wrong-password-123');
  await page.getByTestId('login-submit').click();
  const err = page.getByTestId('login-error');
  await err.waitFor();
  assert.match(await err.innerText(), /salah/); // "Email atau kata sandi salah."
  assert.equal(await page.getByTestId('nav').count(), 0);
  await context.close();
});

test('the right password opens the dashboard; reload keeps the session; logout ends it', async () => {
  const { context, page } = await newPage(browser);
  await login(page, ADMIN);
  await page.getByTestId('page-dashboard').waitFor();
  assert.match(await page.getByTestId('current-user').innerText(), new RegExp(ADMIN.email.replace('.', '\\.')));
  // A deep link survives a reload: the server answers index.html, the app asks auth/me.
  await page.goto('/orders');
  await page.reload();
  await page.getByTestId('page-orders').waitFor();
  assert.equal(await page.getByTestId('login-form').count(), 0);
  await page.getByTestId('logout').click();
  await page.getByTestId('login-form').waitFor();
  await page.reload();
  await page.getByTestId('login-form').waitFor();
  await context.close();
});
