// Shared pieces of the browser tests: Debian's Chromium through playwright-core (never a
// downloaded browser), the server under test, logins, API calls and screenshots.
//
// Environment (scripts/web-test.sh sets it):
//   ROMS_URL            the server, e.g. http://127.0.0.1:43127
//   ROMS_ADMIN_EMAIL / ROMS_ADMIN_PASSWORD, ROMS_CS_EMAIL / ROMS_CS_PASSWORD
//   ROMS_SCREENSHOTS    where screenshots go (default ../test-artifacts/screenshots)
//   CHROMIUM            the browser binary (default /usr/bin/chromium)
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const BASE = process.env.ROMS_URL ?? 'http://127.0.0.1:8080';
export const ADMIN = { email: process.env.ROMS_ADMIN_EMAIL ?? 'admin@demo.roms.id', password: process.env.ROMS_ADMIN_PASSWORD ?? 'admin12345' };
export const CS = { email: process.env.ROMS_CS_EMAIL ?? 'cs@demo.roms.id', password: process.env.ROMS_CS_PASSWORD ?? 'cs12345678' };
const SHOTS = resolve(process.env.ROMS_SCREENSHOTS ?? join(process.cwd(), '..', 'test-artifacts', 'screenshots'));

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: LAUNCH_ARGS,
    timeout: 60_000,
  });
}

export const LAPTOP = { width: 1366, height: 860 };
export const PHONE = { width: 390, height: 844 };

export async function newPage(browser: Browser, viewport = LAPTOP, lang: 'id' | 'en' = 'id'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: BASE, viewport, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  await context.addInitScript((l: string) => {
    if (!sessionStorage.getItem('roms.test.init')) {
      sessionStorage.setItem('roms.test.init', '1');
      localStorage.setItem('roms.lang', l);
    }
  }, lang);
  // The live stream (/api/v1/stream) of every page of the context: refusals and failures
  // other than a page closing it, so a test waiting for live-state=open says why it is not.
  context.on('response', (r) => {
    if (r.url().includes('/api/v1/stream') && r.status() !== 200) console.error(`[stream] HTTP ${r.status()} ${r.url()}`);
  });
  context.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    if (r.url().includes('/api/v1/stream') && !/ERR_ABORTED/.test(why)) console.error(`[stream] failed: ${why}`);
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) console.error(`[console] ${m.text()}`);
  });
  return { context, page };
}

export async function login(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.goto('/');
  await page.getByTestId('login-email').fill(who.email);
  await page.getByTestId('login-password').fill(who.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav').waitFor({ state: 'attached' });
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// A session for API calls from the test itself (cookie + CSRF token).
export class ApiSession {
  private constructor(
    private cookie: string,
    readonly csrf: string,
  ) {}

  static async login(who: { email: string; password: string }): Promise<ApiSession> {
    const r = await fetch(`${BASE}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(who),
    });
    if (r.status !== 200) throw new Error(`login ${who.email}: ${r.status} ${await r.text()}`);
    const cookies = r.headers.getSetCookie().map((c) => c.split(';')[0]);
    const body = (await r.json()) as { csrf_token: string };
    return new ApiSession(cookies.join('; '), body.csrf_token);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    const headers: Record<string, string> = { Cookie: this.cookie, 'X-CSRF-Token': this.csrf };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, data: (text ? JSON.parse(text) : null) as T };
  }
}

export async function withKey<T>(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
  const r = await fetch(`${BASE}${path}`, {
    method,
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, data: (text ? JSON.parse(text) : null) as T };
}

export interface ProductLite {
  id: string;
  sku: string;
  name: string;
  price: number;
  available: number;
  active: boolean;
  cross_sell: string | null;
}

// An active product with at least `qty` units available in the main warehouse.
export async function productInStock(s: ApiSession, qty: number): Promise<ProductLite> {
  const r = await s.call<{ items: ProductLite[] }>('GET', '/api/v1/products?active=true&limit=500');
  const p = r.data.items.filter((x) => x.active && x.available >= qty).sort((a, b) => b.available - a.available)[0];
  if (!p) throw new Error('no product in stock');
  return p;
}

// "Rp 1.250.000" as Intl.NumberFormat('id-ID') writes it (the space may be a no-break space).
export const RUPIAH = /^Rp\s?\d{1,3}(\.\d{3})*$/u;
export function rupiahOf(n: number): string {
  return new Intl.NumberFormat('id-ID', { style: 'currency', currency: 'IDR', minimumFractionDigits: 0, maximumFractionDigits: 0 }).format(n);
}
export function norm(s: string | null): string {
  return (s ?? '').replace(/\u00a0/g, ' ').trim();
}
