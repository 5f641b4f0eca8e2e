// The CS inbox's pure parts (no DOM, no imports): the API's conversation and message shapes
// read tolerantly, template variables filled from the customer and their last order, message
// ordering, the Enter-to-send rule. Unit-tested by tests/unit/inbox-logic.test.ts.

// GET /api/v1/conversations?view=… (CONTRACT.md "Conversations"): id, customer_id,
// assignee_id, state, last_message_at are promised; the rest is read when present.
export interface Conversation {
  id: string;
  customer_id: string;
  assignee_id: string | null;
  state: string;
  last_message_at: string | null;
  created_at?: string;
  customer?: { id?: string; name?: string | null; phone?: string | null; email?: string | null; primary_segment?: string | null } | null;
  customer_name?: string | null;
  customer_phone?: string | null;
  phone?: string | null;
  assignee?: { id?: string; email?: string; display_name?: string | null; name?: string | null } | null;
  assignee_name?: string | null;
  last_message?: { preview?: string | null; body?: string | null; text?: string | null; direction?: string | null; media?: MediaRef | null } | string | null;
  last_message_preview?: string | null;
  preview?: string | null;
  unread?: number;
  unread_count?: number;
  close_reason?: string | null;
  opened_at?: string;
  message_count?: number;
}

export interface MediaRef {
  mime_type?: string;
  filename?: string;
  sha256?: string;
  url?: string;
}

// A message as GET /api/v1/messages renders it (http/api/messaging_routes.cc message_json).
export interface Message {
  id: string;
  direction: 'inbound' | 'outbound' | string;
  status: string;
  customer_id?: string | null;
  conversation_id?: string | null;
  body?: string | null;
  text?: string | null;
  caption?: string | null;
  media?: MediaRef | null;
  created_at?: string;
  received_at?: string;
  sent_at?: string | null;
  error?: { code?: string; message?: string } | null;
  author?: string | null;
  actor?: string | null;
  sender_name?: string | null;
  position?: string;
}

// An agent as GET /api/v1/agents lists it.
export interface Agent {
  id: string;
  user_id?: string;
  email?: string;
  display_name?: string | null;
  name?: string | null;
  role?: string;
  status?: string;
  online?: boolean;
  open_conversations?: number;
  assigned?: number;
}

export function convName(c: Conversation): string {
  return (c.customer?.name || c.customer_name || '').trim();
}

export function convPhone(c: Conversation): string {
  return (c.customer?.phone || c.customer_phone || c.phone || '').trim();
}

export function convPreview(c: Conversation): string {
  const lm = c.last_message;
  if (typeof lm === 'string') return lm;
  if (lm) {
    const s = lm.preview || lm.body || lm.text || '';
    if (s) return s;
    if (lm.media) return `📎 ${lm.media.filename || lm.media.mime_type || ''}`.trim();
  }
  return c.last_message_preview || c.preview || '';
}

export function convUnread(c: Conversation): number {
  return c.unread ?? c.unread_count ?? 0;
}

export function isOpen(c: Conversation): boolean {
  return !['closed', 'resolved'].includes(c.state);
}

export function agentName(a: Agent | undefined | null): string {
  if (!a) return '';
  return (a.display_name || a.name || a.email || a.id || '').trim();
}

// The user id an agent row stands for (the API may key agents by user id or carry user_id).
export function agentUserId(a: Agent): string {
  return a.user_id || a.id;
}

export function agentOnline(a: Agent | undefined | null): boolean {
  if (!a) return false;
  if (typeof a.online === 'boolean') return a.online;
  return (a.status ?? '').toLowerCase() === 'online';
}

export function messageText(m: Message): string {
  return m.body ?? m.text ?? m.caption ?? '';
}

export function messageTime(m: Message): string {
  return m.created_at || m.received_at || m.sent_at || '';
}

// Oldest first; equal times keep the log's order (position) and then the id.
export function sortMessages(list: Message[]): Message[] {
  return list.slice().sort((a, b) => {
    const ta = Date.parse(messageTime(a)) || 0;
    const tb = Date.parse(messageTime(b)) || 0;
    if (ta !== tb) return ta - tb;
    const pa = Number(a.position ?? NaN);
    const pb = Number(b.position ?? NaN);
    if (!Number.isNaN(pa) && !Number.isNaN(pb) && pa !== pb) return pa - pb;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

// The server's list plus messages this tab just sent that the read model does not show yet.
export function mergeMessages(server: Message[], local: Message[]): Message[] {
  const ids = new Set(server.map((m) => m.id));
  return sortMessages([...server, ...local.filter((m) => !ids.has(m.id))]);
}

// A chat read in pages (newest first page, "load older" before it): the older pages kept so
// far and the newest page as last read, one message per id (the newest page's copy wins: its
// delivery status is the fresher one), oldest first.
export function combinePages(older: Message[], newest: Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of older) byId.set(m.id, m);
  for (const m of newest) byId.set(m.id, m);
  return sortMessages([...byId.values()]);
}

// The cursor of a page answer ({items, next_cursor}); "" when there is no more.
export function nextCursorOf(data: unknown): string {
  const c = (data as { next_cursor?: unknown } | null)?.next_cursor;
  return typeof c === 'string' ? c : '';
}

// A list answer may be a page ({items}) or a bare array.
export function itemsOf<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  const items = (data as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? (items as T[]) : [];
}

// Enter sends, Shift+Enter is a new line; an IME composition's Enter is not a send.
export function isSendKey(e: { key: string; shiftKey: boolean; isComposing?: boolean; keyCode?: number }): boolean {
  return e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229;
}

// Template variables (core/automation.h): {name}/{customer_name} the customer ("Kak" when
// unknown), {order_id}, {total}, {product_name} (joined with ", "), {recommendation},
// {tracking_number} from the last order, {shop_name}.
export interface LastOrder {
  id: string;
  external_id?: string | null;
  total?: number;
  currency?: string;
  tracking_number?: string | null;
  items?: { name?: string; sku?: string; qty?: number }[];
}

export function templateValues(
  customerName: string | null | undefined,
  last: LastOrder | null | undefined,
  shopName: string,
  money: (amount: number, currency?: string) => string,
  recommendation = '',
): Record<string, string> {
  const name = (customerName ?? '').trim() || 'Kak';
  const v: Record<string, string> = { name, customer_name: name, shop_name: shopName };
  if (last) {
    v.order_id = last.id;
    v.total = money(last.total ?? 0, last.currency);
    v.product_name = (last.items ?? []).map((i) => i.name || i.sku || '').filter(Boolean).join(', ');
    v.tracking_number = last.tracking_number ?? '';
    v.recommendation = recommendation;
  }
  return v;
}

// Fills {variable} from `values`; a variable without a value stays as written, so the agent
// sees what is missing before sending.
export function fillTemplate(body: string, values: Record<string, string>): string {
  return body.replace(/\{([a-z_]+)\}/g, (all, k: string) => (Object.prototype.hasOwnProperty.call(values, k) ? values[k] : all));
}

// The variables of `body` that `values` does not fill.
export function missingVariables(body: string, values: Record<string, string>): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(/\{([a-z_]+)\}/g)) if (!(m[1] in values) && !out.includes(m[1])) out.push(m[1]);
  return out;
}
