// A development server for the web app when no complete `roms serve` is at hand. NOT used by
// the final browser tests when the real server serves the app itself (scripts/web-test.sh).
//
//   node tests/dev-server.mjs --port 5180 --mock                 in-memory fake API (CONTRACT.md subset)
//   node tests/dev-server.mjs --port 5180 --proxy http://127.0.0.1:8080
//                                                                dist/ + /api, /healthz, /webhooks → roms
// Both serve web/dist with the SPA fallback of http/static_files.h.
import { createServer, request as httpRequest } from 'node:http';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const args = process.argv.slice(2);
const arg = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const PORT = Number(arg('--port', '5180'));
const PROXY = arg('--proxy', '');
const MOCK = args.includes('--mock');
const DIST = resolve(arg('--dist', new URL('../dist', import.meta.url).pathname));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json', '.png': 'image/png' };

function serveStatic(req, res) {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path.split('/').includes('..')) return json(res, 400, { error: { code: 'malformed_request', message: 'path traversal' } });
  let file = normalize(join(DIST, path));
  if (!file.startsWith(DIST)) return json(res, 400, { error: { code: 'malformed_request', message: 'path traversal' } });
  if (!existsSync(file) || statSync(file).isDirectory()) {
    const last = path.split('/').pop() ?? '';
    if (last.includes('.')) return json(res, 404, { error: { code: 'not_found', message: `no file ${path}` } });
    file = join(DIST, 'index.html');
  }
  const body = readFileSync(file);
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
const err = (res, status, code, message, details = {}) => json(res, status, { error: { code, message, details } });

// ---------------------------------------------------------------- proxy mode
function proxy(req, res) {
  const target = new URL(req.url, PROXY);
  const p = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  p.on('error', (e) => err(res, 502, 'bad_gateway', String(e)));
  req.pipe(p);
}

// ---------------------------------------------------------------- mock mode
const now = () => new Date(Date.now() + clockOffset * 1000);
let clockOffset = 0;
let position = 0;
const id = (p) => `${p}_${randomBytes(6).toString('hex')}`;
const users = [
  { id: 'usr_admin', email: 'admin@demo.roms.id', password: 'admin12345', role: 'admin', display_name: 'Admin', created_at: now().toISOString() },
  { id: 'usr_cs', email: 'cs@demo.roms.id', password: 'cs12345678', role: 'cs', display_name: 'CS', created_at: now().toISOString() },
];
const sessions = new Map();
const keys = [];
const settings = { shop_name: 'Toko Kopi Nusantara', currency: 'IDR', time_zone: 'Asia/Jakarta', big_spender_min_spend: 1000000, loyal_min_orders: 3, inactive_after_days: 60, new_member_days: 30, allow_backorders: false, pending_warn_minutes: 120, pending_critical_minutes: 240, alerts_stock: true, alerts_pending: true, automation_thank_you: true, automation_reminders: true };
const warehouses = [{ id: 'main', name: 'Gudang Utama' }, { id: 'bandung', name: 'Gudang Bandung' }];
const products = [
  ['KOPI-250', 'Kopi Bubuk Arabika 250g', 'Kopi', 65000, 'Kak, sekalian Gula Aren-nya biar makin nikmat!', 40, 10],
  ['GULA-AREN', 'Gula Aren Cair 500ml', 'Pemanis', 45000, null, 25, 8],
  ['TEH-HIJAU', 'Teh Hijau Melati', 'Teh', 30000, null, 3, 10],
  ['KERUPUK', 'Kerupuk Udang 200g', 'Camilan', 25000, null, 60, 15],
  ['SAMBAL', 'Sambal Bawang 150g', 'Bumbu', 35000, 'Cocok dengan Kerupuk Udang kami, Kak!', 18, 5],
  ['MADU', 'Madu Hutan 350g', 'Pemanis', 120000, null, 2, 6],
].map(([sku, name, category, price, cross_sell, stock, min_stock]) => ({ id: id('prd'), sku, name, category, price, cost: Math.round(price * 0.6), cross_sell, min_stock, active: true, image_url: null, stock: { main: stock, bandung: 5 }, reserved: { main: 0, bandung: 0 }, created_at: now().toISOString(), updated_at: now().toISOString() }));
const customers = [];
const orders = [];

function productJson(p, withStock) {
  const on_hand = Object.values(p.stock).reduce((a, b) => a + b, 0);
  const reserved = Object.values(p.reserved).reduce((a, b) => a + b, 0);
  const available = on_hand - reserved;
  const out = { id: p.id, sku: p.sku, name: p.name, category: p.category, image_url: p.image_url, cross_sell: p.cross_sell, price: p.price, cost: p.cost, min_stock: p.min_stock, active: p.active, on_hand, reserved, available, below_min: available < p.min_stock, created_at: p.created_at, updated_at: p.updated_at };
  if (withStock) out.stock = warehouses.map((w) => ({ warehouse: w.id, on_hand: p.stock[w.id] ?? 0, reserved: p.reserved[w.id] ?? 0, available: (p.stock[w.id] ?? 0) - (p.reserved[w.id] ?? 0) }));
  return out;
}
function phoneE164(p) {
  const d = String(p).replace(/\D/g, '');
  return d.startsWith('0') ? `+62${d.slice(1)}` : d.startsWith('62') ? `+${d}` : `+${d}`;
}
function customerJson(c) {
  const mine = orders.filter((o) => o.customer_id === c.id && o.status !== 'cancelled');
  const total_spent = mine.reduce((s, o) => s + o.total, 0);
  const segs = [];
  if (total_spent > settings.big_spender_min_spend) segs.push('big_spender');
  if (mine.length > settings.loyal_min_orders) segs.push('loyal');
  const last = mine.map((o) => o.created_at).sort().pop() ?? null;
  if (last && now() - new Date(last) > settings.inactive_after_days * 864e5) segs.push('inactive');
  if (now() - new Date(c.created_at) < settings.new_member_days * 864e5) segs.push('new_member');
  if (!segs.length) segs.push('regular');
  return { ...c, order_count: mine.length, total_spent, first_order_at: mine.map((o) => o.created_at).sort()[0] ?? null, last_order_at: last, segments: segs, primary_segment: segs[0] };
}
function broadcast(type, stream) {
  position++;
  const data = JSON.stringify({ type, stream, position: String(position), time: now().toISOString() });
  for (const c of streams) c.write(`event: ${type}\nid: ${position}\ndata: ${data}\n\n`);
}
const streams = new Set();

function placeOrder(body, actor, at = now()) {
  const phone = phoneE164(body.customer?.phone ?? '');
  let c = customers.find((x) => x.phone === phone);
  if (!c) {
    c = { id: id('cus'), phone, name: body.customer?.name ?? '', email: body.customer?.email ?? null, city: body.customer?.city ?? null, province: null, created_at: at.toISOString() };
    customers.push(c);
  }
  const items = [];
  for (const [i, it] of (body.items ?? []).entries()) {
    const p = products.find((x) => x.sku === it.sku);
    if (!p) return { error: [400, 'unknown_sku', `unknown SKU ${it.sku}`, { field: `items[${i}].sku` }] };
    if (!(it.qty > 0)) return { error: [400, 'invalid_argument', 'qty must be > 0', { field: `items[${i}].qty` }] };
    const avail = p.stock.main - p.reserved.main;
    if (avail < it.qty && !settings.allow_backorders) return { error: [409, 'out_of_stock', `${p.sku}: ${avail} available`, {}] };
    items.push({ product_id: p.id, sku: p.sku, name: p.name, qty: it.qty, price: it.price ?? p.price, subtotal: it.qty * (it.price ?? p.price), unknown_sku: false, backorder: false });
  }
  for (const it of items) products.find((p) => p.id === it.product_id).reserved.main += it.qty;
  const o = { id: id('ord'), external_id: body.external_id ?? null, channel: body.channel ?? 'api', status: 'pending', customer_id: c.id, customer: { name: c.name, phone: c.phone, email: c.email, city: c.city, province: null }, items, total: items.reduce((s, i) => s + i.subtotal, 0), currency: 'IDR', payment: { method: body.payment?.method ?? null, timing: body.payment?.timing ?? null }, note: body.note ?? null, warehouse: 'main', flags: [], tracking_number: null, courier: null, created_at: at.toISOString(), updated_at: at.toISOString(), timeline: [{ position: String(++position), type: 'order.placed', at: at.toISOString(), actor, status: 'pending', note: null }] };
  orders.unshift(o);
  return { order: o };
}
// Seed: 90 days of orders.
{
  const names = [['Budi123', '0812-1111-0001', 'Bandung'], ['Sari Wulandari', '0812-1111-0002', 'Jakarta'], ['Andi Pratama', '0812-1111-0003', 'Surabaya'], ['Rina', '0812-1111-0004', 'Medan'], ['Agus Salim', '0812-1111-0005', 'Makassar'], ['Putri', '0812-1111-0006', 'Semarang']];
  const statuses = ['delivered', 'delivered', 'delivered', 'shipped', 'processed', 'pending', 'cancelled'];
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  for (let i = 0; i < 80; i++) {
    const [name, phone, city] = names[rnd(names.length)];
    const p = products[rnd(4)];
    const at = new Date(Date.now() - rnd(90 * 24) * 3600_000);
    const r = placeOrder({ channel: ['web', 'whatsapp', 'phone', 'marketplace'][rnd(4)], customer: { name, phone, city }, items: [{ sku: p.sku, qty: 1 + rnd(2) }], payment: { method: 'bank_transfer', timing: 'prepaid' } }, 'demo', at);
    if (r.order) {
      r.order.status = at > Date.now() - 2 * 864e5 ? 'pending' : statuses[rnd(statuses.length)];
      p.reserved.main = Math.max(0, p.reserved.main - 1);
    }
  }
  orders.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

function readBody(req) {
  return new Promise((ok) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => ok(b));
  });
}
function cookieToken(req) {
  const m = /(?:^|;\s*)roms_session=([^;]+)/.exec(req.headers.cookie ?? '');
  return m?.[1];
}
function who(req, res, access) {
  const key = req.headers['x-api-key'];
  if (key) {
    const k = keys.find((x) => x.hash === createHash('sha256').update(String(key)).digest('hex') && !x.revoked);
    if (!k) return err(res, 401, 'unauthorized', 'invalid API key'), null;
    if (access === 'admin') return err(res, 403, 'forbidden', 'API keys cannot do this'), null;
    return { via: 'key', role: 'admin', actor: `apikey:${k.id}` };
  }
  const s = sessions.get(cookieToken(req));
  if (!s) return err(res, 401, 'unauthorized', 'sign in first'), null;
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['x-csrf-token'] !== s.csrf) return err(res, 403, 'csrf_token_missing', 'send X-CSRF-Token'), null;
  const u = users.find((x) => x.id === s.user);
  const need = { read: ['admin', 'cs'], edit: ['admin', 'cs'], admin: ['admin'] }[access];
  if (!need.includes(u.role)) return err(res, 403, 'forbidden', 'not allowed for your role'), null;
  return { via: 'session', role: u.role, actor: `user:${u.id}`, user: u, csrf: s.csrf };
}
function page(res, items, q) {
  const limit = Math.min(Number(q.get('limit') ?? 50), 500);
  const start = Number(q.get('cursor') ?? 0);
  const slice = items.slice(start, start + limit);
  json(res, 200, { items: slice, next_cursor: start + limit < items.length ? String(start + limit) : null });
}
const userJson = (u) => ({ id: u.id, email: u.email, role: u.role, display_name: u.display_name, disabled: false, created_at: u.created_at });
const keyJson = (k) => ({ id: k.id, name: k.name, scopes: k.scopes, prefix: k.prefix, created_at: k.created_at, created_by: k.created_by, revoked: k.revoked, revoked_at: k.revoked_at });
const OPENAPI = { openapi: '3.0.3', info: { title: 'ROMS', version: '1' }, paths: { '/api/v1/orders': { get: { summary: 'List orders', tags: ['orders'], parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['pending', 'processed', 'shipped', 'delivered', 'cancelled'] } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }], responses: { 200: { description: 'A page of orders' } } }, post: { summary: 'Place an order', tags: ['orders'], parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }], requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['customer', 'items'], properties: { channel: { type: 'string' }, customer: { type: 'object' }, items: { type: 'array', items: { type: 'object' } } } } } } }, responses: { 201: { description: 'The order' }, 409: { description: 'Out of stock' } } } } } };

// ---------------------------------------------------------------- mock CS inbox (issue 7)
// Agents, conversations with round-robin assignment to ONLINE agents, messages (an outbound
// one goes queued → sent after 300 ms), templates, and the signed WAHA webhook
// (X-Webhook-Hmac: hex HMAC-SHA512 of the raw body with ROMS_WAHA_HMAC_KEY).
const agentStatus = new Map();
const conversations = [];
const messages = [];
let rrLast = -1;
const templates = [
  { id: 'tpl_greeting', name: 'Sapaan', type: 'greeting', body: 'Halo {name}, terima kasih sudah menghubungi kami! Ada yang bisa kami bantu?', variables: ['name'], wa_template_name: null, wa_language: null, default: false },
  { id: 'tpl_order_confirmation', name: 'Konfirmasi pesanan', type: 'order_confirmation', body: 'Halo {customer_name}, pesanan {order_id} ({product_name}) senilai {total} sudah kami terima.', variables: ['customer_name', 'order_id', 'product_name', 'total'], wa_template_name: null, wa_language: null, default: true },
];
const agentJson = (u) => ({ id: u.id, email: u.email, display_name: u.display_name || u.email, role: u.role, status: agentStatus.get(u.id) ?? 'offline', open_conversations: conversations.filter((c) => c.assignee_id === u.id && c.state === 'open').length });
function nextAgent() {
  for (let i = 1; i <= users.length; i++) {
    const k = (rrLast + i) % users.length;
    if (agentStatus.get(users[k].id) === 'online') {
      rrLast = k;
      return users[k].id;
    }
  }
  return null;
}
function convJson(c) {
  const cu = customers.find((x) => x.id === c.customer_id);
  const last = messages.filter((m) => m.conversation_id === c.id).at(-1);
  return { ...c, customer: { id: cu?.id, name: cu?.name ?? '', phone: cu?.phone ?? null, email: cu?.email ?? null }, phone: cu?.phone ?? '', last_message: { preview: last?.text ?? '', direction: last?.direction ?? null }, unread: 0 };
}
function assignWaiting() {
  for (const c of conversations.filter((x) => x.state === 'open' && !x.assignee_id)) {
    const a = nextAgent();
    if (!a) return;
    c.assignee_id = a;
    broadcast('conversation.assigned', c.id);
  }
}
async function inboxApi(req, res, url) {
  const p = url.pathname.replace(/\/+$/, '');
  const m = req.method;
  const raw = m === 'GET' ? '' : await readBody(req);
  const ctype = String(req.headers['content-type'] ?? '');
  let body = {};
  if (raw && ctype.includes('json')) {
    try {
      body = JSON.parse(raw);
    } catch {
      return err(res, 400, 'malformed_json', 'the body is not valid JSON');
    }
  }
  let r, mm;
  if (p === '/webhooks/whatsapp/waha' && m === 'POST') {
    const key = process.env.ROMS_WAHA_HMAC_KEY ?? '';
    if (!key) return err(res, 401, 'webhook_secret_missing', 'ROMS_WAHA_HMAC_KEY is not set');
    const want = createHmac('sha512', key).update(raw).digest('hex');
    if (String(req.headers['x-webhook-hmac'] ?? '') !== want) return err(res, 401, 'invalid_signature', 'X-Webhook-Hmac does not match');
    const ev = JSON.parse(raw);
    const pl = ev.payload ?? {};
    if (ev.event !== 'message' || pl.fromMe) return json(res, 200, { status: 'accepted', appended: 0, ignored: [ev.event] });
    if (messages.some((x) => x.gateway_message_id === pl.id)) return json(res, 200, { status: 'accepted', appended: 0, ignored: [] });
    const phone = `+${String(pl.from).split('@')[0]}`;
    let cu = customers.find((x) => x.phone === phone);
    if (!cu) {
      cu = { id: id('cus'), phone, name: phone, email: null, city: null, province: null, created_at: now().toISOString() };
      customers.push(cu);
      broadcast('customer.registered', cu.id);
    }
    let c = conversations.find((x) => x.customer_id === cu.id && x.state === 'open');
    if (!c) {
      c = { id: id('cnv'), customer_id: cu.id, assignee_id: null, state: 'open', last_message_at: null, created_at: now().toISOString() };
      conversations.push(c);
      broadcast('conversation.started', c.id);
      c.assignee_id = nextAgent();
      if (c.assignee_id) broadcast('conversation.assigned', c.id);
    }
    const msg = { id: id('msg'), conversation_id: c.id, customer_id: cu.id, direction: 'inbound', status: 'received', from: phone, text: pl.body ?? '', media: pl.hasMedia ? { mime_type: pl.media?.mimetype ?? '', filename: pl.media?.filename ?? '' } : null, gateway_message_id: pl.id, created_at: now().toISOString() };
    messages.push(msg);
    c.last_message_at = msg.created_at;
    broadcast('message.received', msg.id);
    return json(res, 200, { status: 'accepted', appended: 1, ignored: [] });
  }
  if (p === '/api/v1/templates' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    return page(res, templates, url.searchParams);
  }
  if (p === '/api/v1/agents' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    return json(res, 200, { items: users.map(agentJson) });
  }
  if (p === '/api/v1/agents/me/status' && m === 'POST') {
    if (!(r = who(req, res, 'edit'))) return;
    if (!['online', 'offline'].includes(body.status)) return err(res, 400, 'invalid_argument', 'status: online or offline', { field: 'status' });
    agentStatus.set(r.user.id, body.status);
    broadcast('agent.status_changed', r.user.id);
    if (body.status === 'online') assignWaiting();
    return json(res, 200, agentJson(r.user));
  }
  if (p === '/api/v1/agents/me/heartbeat' && m === 'POST') {
    if (!(r = who(req, res, 'edit'))) return;
    return json(res, 200, { status: agentStatus.get(r.user.id) ?? 'offline' });
  }
  if ((mm = /^\/api\/v1\/conversations\/([^/]+)$/.exec(p)) && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    const c = conversations.find((x) => x.id === mm[1]);
    return c ? json(res, 200, convJson(c)) : err(res, 404, 'not_found', `no conversation ${mm[1]}`);
  }
  if (p === '/api/v1/conversations' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    const view = url.searchParams.get('view') ?? 'mine';
    let list = conversations;
    if (view === 'mine') list = list.filter((c) => c.assignee_id === r.user.id && c.state === 'open');
    else if (view === 'unassigned') list = list.filter((c) => !c.assignee_id && c.state === 'open');
    else if (r.role !== 'admin') return err(res, 403, 'forbidden', 'view=all is for Admin');
    return page(res, list.map(convJson).sort((a, b) => (b.last_message_at ?? '').localeCompare(a.last_message_at ?? '')), url.searchParams);
  }
  if ((mm = /^\/api\/v1\/conversations\/([^/]+)\/(messages|assign|resolve)$/.exec(p))) {
    const c = conversations.find((x) => x.id === mm[1]);
    if (!c) return err(res, 404, 'not_found', `no conversation ${mm[1]}`);
    if (mm[2] === 'messages' && m === 'GET') {
      if (!(r = who(req, res, 'read'))) return;
      return page(res, messages.filter((x) => x.conversation_id === c.id), url.searchParams);
    }
    if (mm[2] === 'messages' && m === 'POST') {
      if (!(r = who(req, res, 'edit'))) return;
      let text = body.text ?? '';
      let media = null;
      if (ctype.startsWith('multipart/form-data')) {
        const fn = /filename="([^"]*)"[\r\n]+Content-Type: ([^\r\n]+)/.exec(raw);
        if (fn) media = { filename: fn[1], mime_type: fn[2] };
        const tx = /name="text"\r\n\r\n([\s\S]*?)\r\n--/.exec(raw);
        text = tx ? tx[1] : '';
      }
      if (!text && !media) return err(res, 400, 'invalid_argument', 'text: required', { field: 'text' });
      const msg = { id: id('msg'), conversation_id: c.id, customer_id: c.customer_id, direction: 'outbound', status: 'queued', text, media, created_at: now().toISOString() };
      messages.push(msg);
      c.last_message_at = msg.created_at;
      broadcast('message.queued', msg.id);
      setTimeout(() => {
        msg.status = 'sent';
        broadcast('message.sent', msg.id);
      }, 300);
      return json(res, 201, msg);
    }
    if (mm[2] === 'assign' && m === 'POST') {
      if (!(r = who(req, res, 'admin'))) return;
      if (!users.some((u) => u.id === body.agent_id)) return err(res, 400, 'invalid_argument', 'agent_id: unknown agent', { field: 'agent_id' });
      c.assignee_id = body.agent_id;
      broadcast('conversation.assigned', c.id);
      return json(res, 200, convJson(c));
    }
    if (mm[2] === 'resolve' && m === 'POST') {
      if (!(r = who(req, res, 'edit'))) return;
      c.state = 'closed';
      broadcast('conversation.closed', c.id);
      return json(res, 200, convJson(c));
    }
  }
  return err(res, 404, 'not_found', `no route for ${m} ${p}`);
}
const INBOX_PATHS = /^\/(webhooks\/whatsapp\/waha|api\/v1\/(agents|conversations|templates))(\/|$)/;

async function api(req, res, url) {
  const p = url.pathname.replace(/\/+$/, '');
  if (INBOX_PATHS.test(p)) return inboxApi(req, res, url);
  const q = url.searchParams;
  const m = req.method;
  const body = m === 'GET' || m === 'HEAD' ? {} : await readBody(req).then((b) => (b ? JSON.parse(b) : {})).catch(() => null);
  if (body === null) return err(res, 400, 'malformed_json', 'the body is not valid JSON');
  let r;
  if (p === '/healthz') return json(res, 200, { status: 'ok' });
  if (p === '/api/v1/openapi.json') return json(res, 200, OPENAPI);
  if (p === '/api/v1/test/clock' && m === 'POST') {
    clockOffset += body.advance_seconds ?? 0;
    return json(res, 200, { now: now().toISOString(), position: String(position) });
  }
  if (p === '/api/v1/auth/login' && m === 'POST') {
    const u = users.find((x) => x.email === body.email && x.password === body.password);
    if (!u) return err(res, 401, 'unauthorized', 'wrong email or password');
    const token = randomBytes(16).toString('hex');
    const csrf = randomBytes(16).toString('hex');
    sessions.set(token, { user: u.id, csrf });
    return json(res, 200, { user: userJson(u), csrf_token: csrf }, { 'Set-Cookie': `roms_session=${token}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (p === '/api/v1/auth/me' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    return json(res, 200, { user: userJson(r.user), csrf_token: r.csrf });
  }
  if (p === '/api/v1/auth/logout' && m === 'POST') {
    if (!(r = who(req, res, 'read'))) return;
    sessions.delete(cookieToken(req));
    res.writeHead(204, { 'Set-Cookie': 'roms_session=; Path=/; Max-Age=0' });
    return res.end();
  }
  if (p === '/api/v1/stream' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write('retry: 2000\n: connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (p === '/api/v1/dashboard/today' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(now());
    const todays = orders.filter((o) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Jakarta' }).format(new Date(o.created_at)) === today && o.status !== 'cancelled');
    const by = {};
    for (const o of orders) by[o.status] = (by[o.status] ?? 0) + 1;
    return json(res, 200, { date: today, time_zone: 'Asia/Jakarta', currency: 'IDR', new_orders: todays.length, sales_total: todays.reduce((s, o) => s + o.total, 0), new_customers: 0, chats: 3, cancelled: 0, items_sold: 0, orders_by_status: by, low_stock_products: products.filter((x) => productJson(x).below_min).length, whatsapp: { status: 'disconnected' } });
  }
  if (p === '/api/v1/orders' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    let list = orders;
    for (const f of ['status', 'channel', 'customer_id']) if (q.get(f)) list = list.filter((o) => o[f] === q.get(f));
    if (q.get('from')) list = list.filter((o) => o.created_at >= new Date(q.get('from')).toISOString());
    if (q.get('q')) {
      const s = q.get('q').toLowerCase();
      list = list.filter((o) => [o.id, o.external_id, o.customer.name, o.customer.phone].some((x) => x && x.toLowerCase().includes(s)));
    }
    return page(res, list.map(({ timeline, ...o }) => o), q);
  }
  if (p === '/api/v1/orders' && m === 'POST') {
    if (!(r = who(req, res, 'read'))) return;
    if (r.via === 'session' && r.role !== 'admin') return err(res, 403, 'forbidden', 'CS cannot place orders');
    if (body.external_id) {
      const dup = orders.find((o) => o.external_id === body.external_id && o.channel === body.channel);
      if (dup) return json(res, 200, dup);
    }
    const out = placeOrder(body, r.actor);
    if (out.error) return err(res, ...out.error);
    broadcast('order.placed', out.order.id);
    return json(res, 201, out.order, { 'X-Roms-Position': String(position) });
  }
  let mm;
  if ((mm = /^\/api\/v1\/orders\/([^/]+)$/.exec(p)) && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    const o = orders.find((x) => x.id === mm[1]);
    return o ? json(res, 200, o) : err(res, 404, 'not_found', `no order ${mm[1]}`);
  }
  if ((mm = /^\/api\/v1\/orders\/([^/]+)\/status$/.exec(p)) && m === 'POST') {
    if (!(r = who(req, res, 'admin'))) return;
    const o = orders.find((x) => x.id === mm[1]);
    if (!o) return err(res, 404, 'not_found', 'no order');
    const seq = ['pending', 'processed', 'shipped', 'delivered'];
    if (o.status === body.status) return json(res, 200, o);
    const ok = body.status === 'cancelled' ? !['delivered', 'cancelled'].includes(o.status) : seq.indexOf(body.status) > seq.indexOf(o.status) && o.status !== 'cancelled';
    if (!ok) return err(res, 409, 'invalid_transition', `${o.status} → ${body.status}`);
    o.status = body.status;
    if (body.tracking_number) o.tracking_number = body.tracking_number;
    if (body.courier) o.courier = body.courier;
    o.timeline.push({ position: String(++position), type: 'order.status_changed', at: now().toISOString(), actor: r.actor, status: o.status, note: body.note || null });
    broadcast('order.status_changed', o.id);
    return json(res, 200, o);
  }
  if (p === '/api/v1/products' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    let list = products;
    if (q.get('active') === 'true') list = list.filter((x) => x.active);
    if (q.get('q')) list = list.filter((x) => (x.sku + ' ' + x.name).toLowerCase().includes(q.get('q').toLowerCase()));
    return page(res, list.map((x) => productJson(x)), q);
  }
  if (p === '/api/v1/products' && m === 'POST') {
    if (!(r = who(req, res, 'admin'))) return;
    if (products.some((x) => x.sku === body.sku)) return err(res, 409, 'duplicate_sku', 'SKU exists', { field: 'sku' });
    const x = { id: id('prd'), image_url: null, cross_sell: null, category: null, cost: 0, min_stock: 0, active: true, ...body, stock: { main: 0, bandung: 0 }, reserved: { main: 0, bandung: 0 }, created_at: now().toISOString(), updated_at: now().toISOString() };
    products.push(x);
    broadcast('product.defined', x.id);
    return json(res, 201, productJson(x, true));
  }
  if ((mm = /^\/api\/v1\/products\/([^/]+)$/.exec(p))) {
    const x = products.find((y) => y.id === mm[1]);
    if (m === 'GET') {
      if (!(r = who(req, res, 'read'))) return;
      return x ? json(res, 200, productJson(x, true)) : err(res, 404, 'not_found', 'no product');
    }
    if (m === 'PATCH') {
      if (!(r = who(req, res, 'admin'))) return;
      if (!x) return err(res, 404, 'not_found', 'no product');
      Object.assign(x, body, { updated_at: now().toISOString() });
      broadcast('product.updated', x.id);
      return json(res, 200, productJson(x, true));
    }
  }
  if (p === '/api/v1/warehouses' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    return page(res, warehouses, q);
  }
  if (p === '/api/v1/warehouses' && m === 'POST') {
    if (!(r = who(req, res, 'admin'))) return;
    warehouses.push({ id: body.id, name: body.name });
    broadcast('warehouse.created', body.id);
    return json(res, 201, { id: body.id, name: body.name });
  }
  if (p === '/api/v1/stock' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    const rows = [];
    for (const x of products)
      for (const w of warehouses) {
        if (q.get('warehouse') && q.get('warehouse') !== w.id) continue;
        const pj = productJson(x);
        const row = { product_id: x.id, sku: x.sku, name: x.name, warehouse: w.id, on_hand: x.stock[w.id] ?? 0, reserved: x.reserved[w.id] ?? 0, available: (x.stock[w.id] ?? 0) - (x.reserved[w.id] ?? 0), min_stock: x.min_stock, below_min: pj.below_min };
        if (q.get('below_min') === 'true' && !row.below_min) continue;
        rows.push(row);
      }
    return page(res, rows, q);
  }
  if (p === '/api/v1/stock/adjust' && m === 'POST') {
    if (!(r = who(req, res, 'admin'))) return;
    const x = products.find((y) => y.sku === body.sku || y.id === body.product_id);
    if (!x) return err(res, 400, 'unknown_sku', 'unknown SKU', { field: 'sku' });
    const w = body.warehouse ?? 'main';
    if ((x.stock[w] ?? 0) + body.delta < 0) return err(res, 409, 'out_of_stock', 'would go negative');
    x.stock[w] = (x.stock[w] ?? 0) + body.delta;
    broadcast('stock.adjusted', x.id);
    return json(res, 200, productJson(x, true));
  }
  if (p === '/api/v1/stock/transfer' && m === 'POST') {
    if (!(r = who(req, res, 'admin'))) return;
    const x = products.find((y) => y.sku === body.sku || y.id === body.product_id);
    if (!x) return err(res, 400, 'unknown_sku', 'unknown SKU', { field: 'sku' });
    if ((x.stock[body.from] ?? 0) < body.qty) return err(res, 409, 'out_of_stock', 'not enough stock');
    x.stock[body.from] -= body.qty;
    x.stock[body.to] = (x.stock[body.to] ?? 0) + body.qty;
    broadcast('stock.transferred', x.id);
    return json(res, 200, productJson(x, true));
  }
  if (p === '/api/v1/customers' && m === 'GET') {
    if (!(r = who(req, res, 'read'))) return;
    let list = customers.map(customerJson);
    if (q.get('segment')) list = list.filter((c) => c.segments.includes(q.get('segment')));
    if (q.get('city')) list = list.filter((c) => (c.city ?? '').toLowerCase() === q.get('city').toLowerCase());
    if (q.get('q')) list = list.filter((c) => [c.name, c.phone, c.email].some((v) => v && v.toLowerCase().includes(q.get('q').toLowerCase())));
    return page(res, list, q);
  }
  if ((mm = /^\/api\/v1\/customers\/([^/]+)$/.exec(p))) {
    const c = customers.find((y) => y.id === mm[1]);
    if (!c) return err(res, 404, 'not_found', 'no customer');
    if (m === 'GET') {
      if (!(r = who(req, res, 'read'))) return;
      return json(res, 200, { ...customerJson(c), recent_orders: orders.filter((o) => o.customer_id === c.id).slice(0, 10).map(({ timeline, ...o }) => o) });
    }
    if (m === 'PATCH') {
      if (!(r = who(req, res, 'edit'))) return;
      for (const f of ['name', 'email', 'city', 'province']) if (body[f] !== undefined) c[f] = body[f];
      broadcast('customer.renamed', c.id);
      return json(res, 200, customerJson(c));
    }
  }
  if (p === '/api/v1/settings') {
    if (m === 'GET') {
      if (!(r = who(req, res, 'read'))) return;
      return json(res, 200, settings);
    }
    if (m === 'PATCH') {
      if (!(r = who(req, res, 'admin'))) return;
      Object.assign(settings, body);
      broadcast('settings.changed', 'settings');
      return json(res, 200, settings);
    }
  }
  if (p === '/api/v1/users') {
    if (!(r = who(req, res, 'admin'))) return;
    if (m === 'GET') return page(res, users.map(userJson), q);
    if (m === 'POST') {
      const u = { id: id('usr'), email: body.email, password: body.password, role: body.role, display_name: '', created_at: now().toISOString() };
      users.push(u);
      return json(res, 201, userJson(u));
    }
  }
  if (p === '/api/v1/apikeys') {
    if (!(r = who(req, res, 'admin'))) return;
    if (m === 'GET') return page(res, keys.map(keyJson), q);
    if (m === 'POST') {
      const raw = `roms_${randomBytes(24).toString('base64url')}`;
      const k = { id: id('key'), name: body.name, scopes: body.scopes?.length ? body.scopes : ['orders:write', 'catalog:write', 'read'], prefix: raw.slice(0, 12), created_at: now().toISOString(), created_by: r.actor, revoked: false, revoked_at: null, hash: createHash('sha256').update(raw).digest('hex') };
      keys.push(k);
      return json(res, 201, { ...keyJson(k), key: raw }, { 'Cache-Control': 'no-store' });
    }
  }
  if ((mm = /^\/api\/v1\/apikeys\/([^/]+)$/.exec(p)) && m === 'DELETE') {
    if (!(r = who(req, res, 'admin'))) return;
    const k = keys.find((x) => x.id === mm[1]);
    if (!k) return err(res, 404, 'not_found', 'no key');
    k.revoked = true;
    k.revoked_at = now().toISOString();
    return json(res, 200, keyJson(k));
  }
  return err(res, 404, 'not_found', `no route for ${m} ${p}`);
}

createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const isApi = /^\/(api|webhooks)(\/|$)|^\/healthz$|^\/metrics$/.test(url.pathname);
  if (!isApi) return serveStatic(req, res);
  if (PROXY) return proxy(req, res);
  if (MOCK) return void api(req, res, url).catch((e) => err(res, 500, 'internal', String(e)));
  return err(res, 404, 'not_found', 'no API');
}).listen(PORT, '127.0.0.1', () => console.log(`dev server at http://127.0.0.1:${PORT}/ (${MOCK ? 'mock API' : PROXY ? `proxy → ${PROXY}` : 'static only'})`));
setInterval(() => {
  for (const c of streams) c.write(': keep-alive\n\n');
}, 15000).unref();
