// Unit tests of the inbox's pure parts (src/inbox-logic.ts): no browser, no server.
//   cd web && npm run test:unit
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  agentOnline,
  convName,
  convPhone,
  convPreview,
  fillTemplate,
  isSendKey,
  itemsOf,
  mergeMessages,
  combinePages,
  nextCursorOf,
  missingVariables,
  sortMessages,
  templateValues,
  type Conversation,
  type Message,
} from '../../src/inbox-logic.js';

const rp = (n: number) => `Rp ${new Intl.NumberFormat('id-ID').format(n)}`;

test('template variables come from the customer and the last order', () => {
  const v = templateValues('Sari', { id: 'ord_7', total: 125000, items: [{ name: 'Kopi Arabika' }, { name: 'Gula Aren' }], tracking_number: 'JNE123' }, 'Toko Kopi', rp);
  assert.equal(
    fillTemplate('Halo {name} ({customer_name}), pesanan {order_id} ({product_name}) senilai {total}, resi {tracking_number} — {shop_name}', v),
    'Halo Sari (Sari), pesanan ord_7 (Kopi Arabika, Gula Aren) senilai Rp 125.000, resi JNE123 — Toko Kopi',
  );
});

test('an unknown name is "Kak"; without an order the order variables stay visible', () => {
  const v = templateValues('  ', null, 'Toko', rp);
  assert.equal(v.name, 'Kak');
  assert.equal(fillTemplate('Halo {name}, pesanan {order_id}', v), 'Halo Kak, pesanan {order_id}');
  assert.deepEqual(missingVariables('Halo {name}, {order_id} {total} {order_id}', v), ['order_id', 'total']);
});

test('Enter sends; Shift+Enter and an IME composition do not', () => {
  assert.equal(isSendKey({ key: 'Enter', shiftKey: false }), true);
  assert.equal(isSendKey({ key: 'Enter', shiftKey: true }), false);
  assert.equal(isSendKey({ key: 'Enter', shiftKey: false, isComposing: true }), false);
  assert.equal(isSendKey({ key: 'Enter', shiftKey: false, keyCode: 229 }), false);
  assert.equal(isSendKey({ key: 'a', shiftKey: false }), false);
});

test('messages: oldest first, ties by log position; a just-sent message shows until the server lists it', () => {
  const m = (id: string, at: string, position?: string): Message => ({ id, direction: 'inbound', status: 'received', created_at: at, position });
  const s = sortMessages([m('c', '2026-11-24T03:00:02Z'), m('b', '2026-11-24T03:00:01Z', '9'), m('a', '2026-11-24T03:00:01Z', '10')]);
  assert.deepEqual(s.map((x) => x.id), ['b', 'a', 'c']);
  const local: Message = { id: 'x', direction: 'outbound', status: 'queued', created_at: '2026-11-24T03:00:03Z' };
  assert.deepEqual(mergeMessages(s, [local]).map((x) => x.id), ['b', 'a', 'c', 'x']);
  assert.deepEqual(mergeMessages([...s, { ...local, status: 'sent' }], [local]).map((x) => `${x.id}:${x.status}`), ['b:received', 'a:received', 'c:received', 'x:sent']);
});

test('conversations and agents are read tolerantly', () => {
  const base: Conversation = { id: 'cnv_1', customer_id: 'cus_1', assignee_id: null, state: 'open', last_message_at: null };
  assert.equal(convName({ ...base, customer: { name: 'Budi', phone: '+62812' } }), 'Budi');
  assert.equal(convName({ ...base, customer_name: 'Sari' }), 'Sari');
  assert.equal(convPhone({ ...base, customer_phone: '+62813' }), '+62813');
  assert.equal(convPreview({ ...base, last_message: { body: 'Halo' } }), 'Halo');
  assert.equal(convPreview({ ...base, last_message: { preview: 'Ada stok?', direction: 'inbound' } }), 'Ada stok?');
  assert.equal(convPreview({ ...base, last_message: 'Hai' }), 'Hai');
  assert.equal(convPreview({ ...base, last_message_preview: 'Pratinjau' }), 'Pratinjau');
  assert.equal(convPreview({ ...base, last_message: { media: { filename: 'bukti.pdf' } } }), '📎 bukti.pdf');
  assert.equal(agentOnline({ id: 'u', status: 'ONLINE' }), true);
  assert.equal(agentOnline({ id: 'u', online: false, status: 'online' }), false);
  assert.equal(agentOnline(undefined), false);
  assert.deepEqual(itemsOf([1, 2]), [1, 2]);
  assert.deepEqual(itemsOf({ items: [3], next_cursor: null }), [3]);
  assert.deepEqual(itemsOf(null), []);
});

test('a chat read in pages: one message per id, the newest page wins, oldest first', () => {
  const m = (id: string, at: string, status = 'received'): Message => ({ id, direction: 'inbound', status, created_at: at });
  const older = [m('a', '2026-11-24T03:00:01Z'), m('b', '2026-11-24T03:00:02Z', 'sent')];
  const newest = [m('b', '2026-11-24T03:00:02Z', 'read'), m('c', '2026-11-24T03:00:03Z')];
  assert.deepEqual(combinePages(older, newest).map((x) => `${x.id}:${x.status}`), ['a:received', 'b:read', 'c:received']);
  assert.deepEqual(combinePages([], newest).map((x) => x.id), ['b', 'c']);
  assert.equal(nextCursorOf({ items: [], next_cursor: 'abc' }), 'abc');
  assert.equal(nextCursorOf({ items: [], next_cursor: null }), '');
  assert.equal(nextCursorOf([]), '');
});
