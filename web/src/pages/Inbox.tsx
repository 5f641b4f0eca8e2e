// The CS inbox (issue 7, CONTRACT.md "Conversations"): conversation list with tabs
// (Unassigned / Mine / All for Admin), the chat (the newest 50 messages, older pages on demand
// with "Muat pesan sebelumnya"; live incoming messages, delivery status,
// Enter to send, Shift+Enter new line, paper-clip attachment as multipart, template quick
// replies with variables filled from the customer and their last order), and the customer
// panel on the right (name with editing, phone, email, segments, recent orders).
// Laptop: three columns. Phone: the list; a chosen chat, with the customer panel stacked
// under it and a way back to the list.
import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError, postForm, request } from '../api';
import { amOnline, useAgents } from '../components/AgentStatus';
import { ErrorBox, Link, Loading, SegmentBadge, StatusBadge, errorText, useLoad } from '../components/ui';
import { clock, number, rupiah } from '../format';
import { t, tx } from '../i18n';
import {
  agentName,
  combinePages,
  agentOnline,
  convName,
  convPhone,
  convPreview,
  convUnread,
  fillTemplate,
  isOpen,
  isSendKey,
  itemsOf,
  mergeMessages,
  messageText,
  nextCursorOf,
  messageTime,
  missingVariables,
  templateValues,
  type Agent,
  type Conversation,
  type Message,
} from '../inbox-logic';
import { useLive } from '../live';
import { setQuery, useRoute } from '../router';
import { isAdmin } from '../session';
import type { Customer, Order, Settings } from '../types';

type View = 'unassigned' | 'mine' | 'all';

// Messages per page of a chat: the newest page first, "load older" for the ones before.
const CHAT_PAGE = 50;
const NO_MESSAGES: Message[] = []; // one array, so memoised views do not recompute per render

interface Template {
  id: string;
  name: string;
  type?: string;
  body: string;
}

const enc = encodeURIComponent;

function viewOf(v: string | null, admin: boolean): View {
  if (v === 'unassigned' || v === 'mine') return v;
  if (v === 'all' && admin) return 'all';
  return 'mine';
}

export function InboxPage(props: { id: string | null }) {
  const { query } = useRoute();
  const admin = isAdmin();
  const view = viewOf(query.get('view'), admin);
  const { agents } = useAgents();
  const list = useLoad(() => api.get<unknown>('/api/v1/conversations', { view, limit: 200 }).then((d) => itemsOf<Conversation>(d)), [view]);
  useLive(['conversation.', 'message.', 'customer.', 'agent.'], () => void list.reload(), 200);
  // Conversations seen in any tab, so a chat opened from one tab keeps its header in another.
  const seen = useRef(new Map<string, Conversation>());
  for (const c of list.data ?? []) seen.current.set(c.id, c);
  const selected = props.id ? seen.current.get(props.id) : undefined;
  const suffix = view === 'mine' ? '' : `?view=${view}`;
  const online = amOnline();

  const rows = (list.data ?? []).slice().sort((a, b) => (b.last_message_at ?? '').localeCompare(a.last_message_at ?? ''));
  const tabs: View[] = admin ? ['unassigned', 'mine', 'all'] : ['unassigned', 'mine'];
  return (
    <section class={`page inbox-page${props.id ? ' has-chat' : ''}`} data-testid="page-inbox">
      <div class="inbox">
        <aside class="inbox-list card" data-testid="conv-list-pane">
          <div class="inbox-tabs" role="tablist">
            {tabs.map((v) => (
              <button
                type="button"
                role="tab"
                key={v}
                aria-selected={v === view}
                class={v === view ? 'tab active' : 'tab'}
                data-testid={`inbox-tab-${v}`}
                onClick={() => setQuery({ view: v === 'mine' ? undefined : v })}
              >
                {t(v === 'unassigned' ? 'inbox.unassigned' : v === 'mine' ? 'inbox.mine' : 'inbox.all')}
              </button>
            ))}
          </div>
          {!online && (
            <p class="inbox-note" data-testid="inbox-offline-note">
              {t('inbox.goOnline')}
            </p>
          )}
          <ErrorBox error={list.error} onRetry={list.reload} />
          {!list.data && list.loading && <Loading />}
          {list.data && rows.length === 0 && (
            <p class="muted inbox-empty" data-testid="conv-none">
              {view === 'mine' ? t('inbox.noneMine') : t('inbox.none')}
            </p>
          )}
          <ul class="conv-list" data-testid="conv-list">
            {rows.map((c) => (
              <ConvRow key={c.id} c={c} active={c.id === props.id} href={`/inbox/${enc(c.id)}${suffix}`} agents={agents} showAssignee={view !== 'mine'} />
            ))}
          </ul>
        </aside>
        {props.id ? (
          <ChatAndPanel key={props.id} id={props.id} conv={selected} admin={admin} agents={agents} back={`/inbox${suffix}`} onChanged={() => void list.reload()} />
        ) : (
          <div class="inbox-chat card inbox-pick">
            <p class="muted">{t('inbox.pick')}</p>
          </div>
        )}
      </div>
    </section>
  );
}

function ConvRow(props: { c: Conversation; active: boolean; href: string; agents: Agent[]; showAssignee: boolean }) {
  const c = props.c;
  const name = convName(c);
  const phone = convPhone(c);
  const unread = convUnread(c);
  const assignee = c.assignee_id ? props.agents.find((a) => a.id === c.assignee_id || a.user_id === c.assignee_id) : undefined;
  return (
    <li>
      <Link href={props.href} class={`conv${props.active ? ' active' : ''}${isOpen(c) ? '' : ' closed'}`} testid="conv-row">
        <span class="conv-top" data-id={c.id} data-customer-id={c.customer_id} data-phone={phone}>
          <strong class="conv-name" data-testid="conv-name">
            {name || phone || c.customer_id}
          </strong>
          <span class="conv-time">{clock(c.last_message_at)}</span>
        </span>
        <span class="conv-bottom">
          <span class="conv-preview" data-testid="conv-preview">
            {convPreview(c) || (name && phone) || ''}
          </span>
          {unread > 0 && <span class="badge ok">{number(unread)}</span>}
          {!isOpen(c) && <span class="badge">{tx('state', c.state)}</span>}
        </span>
        {props.showAssignee && (
          <span class="conv-assignee muted small" data-testid="conv-assignee">
            {c.assignee_id ? `${t('inbox.assignee')}: ${agentName(assignee) || c.assignee?.display_name || c.assignee_name || c.assignee_id}` : t('state.unassigned')}
          </span>
        )}
      </Link>
    </li>
  );
}

// The chat and the customer panel of one conversation (they share the customer record: the
// panel shows it, the quick replies fill their variables from it).
function ChatAndPanel(props: { id: string; conv?: Conversation; admin: boolean; agents: Agent[]; back: string; onChanged: () => void }) {
  const [local, setLocal] = useState<Message[]>([]);
  // The conversation itself (state, assignee, customer), also for a deep link to a chat that
  // is in none of the lists.
  const convQ = useLoad(() => api.get<Conversation>(`/api/v1/conversations/${enc(props.id)}`).catch(() => null), [props.id]);
  useLive(['conversation.'], (e) => {
    if (!e.stream || e.stream === props.id || e.type === 'live.reconnected') void convQ.reload();
  }, 150);
  const conv = convQ.data ?? props.conv;
  // The newest page, re-read live; older pages on demand ("load older"), kept until the chat
  // changes. Loading older also keeps the newest page as it was then, so nothing falls in the
  // gap when new messages push the newest page on.
  const msgsUrl = `/api/v1/conversations/${enc(props.id)}/messages`;
  const msgs = useLoad(() => api.get<unknown>(msgsUrl, { limit: CHAT_PAGE }).then((d) => ({ id: props.id, data: d })), [props.id]);
  const [older, setOlder] = useState<{ id: string; items: Message[]; cursor: string; loading: boolean; error: unknown }>({ id: '', items: [], cursor: '', loading: false, error: null });
  useLive(['message.', 'conversation.'], () => void msgs.reload(), 120);
  const newest = msgs.data?.id === props.id ? itemsOf<Message>(msgs.data.data) : [];
  const olderHere = older.id === props.id ? older : { id: props.id, items: NO_MESSAGES, cursor: '', loading: false, error: null };
  const olderCursor = olderHere.items.length > 0 ? olderHere.cursor : msgs.data?.id === props.id ? nextCursorOf(msgs.data.data) : '';
  const messages = useMemo(() => mergeMessages(combinePages(olderHere.items, newest), local), [olderHere.items, msgs.data, local]);
  async function loadOlder() {
    if (!olderCursor || olderHere.loading) return;
    const id = props.id;
    const base = combinePages(olderHere.items, newest);
    setOlder({ ...olderHere, loading: true, error: null });
    try {
      const d = await api.get<unknown>(msgsUrl, { limit: CHAT_PAGE, cursor: olderCursor });
      setOlder({ id, items: combinePages(itemsOf<Message>(d), base), cursor: nextCursorOf(d), loading: false, error: null });
    } catch (e) {
      setOlder({ ...olderHere, loading: false, error: e });
    }
  }
  const customerId = conv?.customer_id || conv?.customer?.id || messages.find((m) => m.customer_id)?.customer_id || '';
  const customer = useLoad<Customer | null>(
    () => (customerId ? api.get<Customer>(`/api/v1/customers/${enc(customerId)}`) : Promise.resolve(null)),
    [customerId],
  );
  useLive(['customer.', 'order.'], (e) => {
    if (!e.stream || e.stream === customerId || e.type.startsWith('order.') || e.type === 'live.reconnected') void customer.reload();
  }, 400);
  const panelRef = useRef<HTMLDivElement>(null);
  return (
    <>
      <Chat
        id={props.id}
        conv={conv}
        admin={props.admin}
        agents={props.agents}
        back={props.back}
        messages={messages}
        loading={msgs.data?.id !== props.id && msgs.loading}
        error={msgs.error ?? olderHere.error}
        hasOlder={olderCursor !== ''}
        loadingOlder={olderHere.loading}
        onLoadOlder={() => void loadOlder()}
        customer={customer.data ?? null}
        onSent={(m) => {
          if (m?.id) setLocal((l) => [...l, m]);
          void msgs.reload();
          props.onChanged();
        }}
        onChanged={() => {
          void msgs.reload();
          void convQ.reload();
          props.onChanged();
        }}
        onShowCustomer={() => panelRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' })}
      />
      <div class="inbox-panel" ref={panelRef}>
        <CustomerPanel customer={customer.data ?? null} error={customer.error} loading={customer.loading} reload={customer.reload} fallbackName={conv ? convName(conv) : ''} fallbackPhone={conv ? convPhone(conv) : ''} />
      </div>
    </>
  );
}

function lastOrder(c: Customer | null): Order | null {
  const list = (c?.recent_orders ?? []).filter((o) => o.status !== 'cancelled');
  if (!list.length) return null;
  return list.slice().sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))[0];
}

function PaperClip() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />
    </svg>
  );
}

const TICKS: Record<string, string> = { queued: '🕓', sending: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' };

function MessageBubble(props: { m: Message; onRetry?: (id: string) => void }) {
  const m = props.m;
  const out = m.direction === 'outbound';
  const text = messageText(m);
  const media = m.media;
  const src = media?.sha256 ? `/api/v1/media/${enc(media.sha256)}` : media?.url?.startsWith('/') ? media.url : '';
  const image = !!media && (media.mime_type ?? '').startsWith('image/');
  return (
    <li class={`msg ${out ? 'out' : 'in'}`} data-testid="msg" data-id={m.id} data-direction={m.direction} data-status={m.status}>
      <div class="bubble">
        {media &&
          (image && src ? (
            <a href={src} target="_blank" rel="noopener">
              <img class="msg-image" src={src} alt={media.filename || t('inbox.image')} loading="lazy" />
            </a>
          ) : (
            <a class="msg-file" href={src || undefined} target="_blank" rel="noopener" data-testid="msg-file">
              📄 {media.filename || (image ? t('inbox.image') : t('inbox.document'))}
            </a>
          ))}
        {text && (
          <div class="msg-text" data-testid="msg-text">
            {text}
          </div>
        )}
        <div class="msg-meta">
          <span>{clock(messageTime(m))}</span>
          {out && (
            <span class={`msg-status st-${m.status}`} data-testid="msg-status" title={m.error?.message || tx('msg', m.status)}>
              {TICKS[m.status] ?? ''} <span class="msg-status-label">{tx('msg', m.status)}</span>
            </span>
          )}
          {out && m.status === 'failed' && props.onRetry && (
            <button type="button" class="link small" data-testid="msg-retry" onClick={() => props.onRetry!(m.id)}>
              {t('inbox.retry')}
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

function Chat(props: {
  id: string;
  conv?: Conversation;
  admin: boolean;
  agents: Agent[];
  back: string;
  messages: Message[];
  loading: boolean;
  error: unknown;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  customer: Customer | null;
  onSent: (m: Message | null) => void;
  onChanged: () => void;
  onShowCustomer: () => void;
}) {
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [quickOpen, setQuickOpen] = useState(false);
  const scroller = useRef<HTMLUListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const conv = props.conv;
  const c = props.customer;
  const title = c?.name || (conv ? convName(conv) : '') || c?.phone || (conv ? convPhone(conv) : '') || props.id;
  const open = !conv || isOpen(conv);

  // Keep the newest message in sight; when older ones are put above, keep what was in sight.
  const lastId = props.messages.length ? props.messages[props.messages.length - 1].id : '';
  const count = props.messages.length;
  const fromBottom = useRef<number | null>(null);
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastId, props.id]);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && fromBottom.current !== null && !props.loadingOlder) {
      el.scrollTop = el.scrollHeight - fromBottom.current;
      fromBottom.current = null;
    }
  }, [count, props.loadingOlder]);
  function loadOlder() {
    const el = scroller.current;
    if (el) fromBottom.current = el.scrollHeight - el.scrollTop;
    props.onLoadOlder();
  }

  // Quick replies: the templates, their variables filled from the customer and the last order.
  const templates = useLoad(() => api.get<unknown>('/api/v1/templates', { limit: 200 }).then((d) => itemsOf<Template>(d)), []);
  const settings = useLoad(() => api.get<Settings>('/api/v1/settings'), []);
  const last = lastOrder(c);
  const firstProduct = last?.items?.find((i) => i.product_id)?.product_id ?? '';
  const product = useLoad(
    () => (firstProduct ? api.get<{ cross_sell: string | null }>(`/api/v1/products/${enc(firstProduct)}`).catch(() => null) : Promise.resolve(null)),
    [firstProduct],
  );
  const values = templateValues(c?.name, last, settings.data?.shop_name ?? '', rupiah, product.data?.cross_sell ?? '');

  function pickTemplate(tpl: Template) {
    const filled = fillTemplate(tpl.body, values);
    setText(filled);
    setQuickOpen(false);
    const missing = missingVariables(tpl.body, values);
    setNote(missing.length ? t('inbox.missingVars', { vars: missing.map((v) => `{${v}}`).join(', ') }) : '');
    window.setTimeout(() => input.current?.focus(), 0);
  }

  async function send() {
    const body = text.trim();
    if ((!body && !file) || busy) return;
    setBusy(true);
    setError(null);
    try {
      let m: Message | null = null;
      const url = `/api/v1/conversations/${enc(props.id)}/messages`;
      if (file) {
        const fd = new FormData();
        fd.append('file', file, file.name);
        if (body) fd.append('text', body);
        m = await postForm<Message>(url, fd);
      } else {
        m = (await api.post<Message>(url, { text: body })).data;
      }
      setText('');
      setFile(null);
      setNote('');
      if (fileInput.current) fileInput.current.value = '';
      props.onSent(m && typeof m === 'object' && 'id' in m ? m : null);
    } catch (e) {
      setError(file && e instanceof ApiError && e.status === 415 ? new Error(t('inbox.attachUnsupported')) : e);
    } finally {
      setBusy(false);
      window.setTimeout(() => input.current?.focus(), 0);
    }
  }

  async function resolve() {
    setError(null);
    try {
      await api.post(`/api/v1/conversations/${enc(props.id)}/resolve`, {});
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  }

  // A failed reply back into the outbox (Admin: POST /api/v1/messages/{id}/retry).
  async function retry(id: string) {
    setError(null);
    try {
      await api.post(`/api/v1/messages/${enc(id)}/retry`, {});
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  }

  async function assign(agentId: string) {
    if (!agentId) return;
    setError(null);
    try {
      await api.post(`/api/v1/conversations/${enc(props.id)}/assign`, { agent_id: agentId });
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  }

  function onKeyDown(e: JSX.TargetedKeyboardEvent<HTMLTextAreaElement>) {
    if (isSendKey(e)) {
      e.preventDefault();
      void send();
    }
  }

  const assignable = props.agents.filter((a) => !a.role || a.role === 'cs' || a.role === 'admin');
  return (
    <div class="inbox-chat card" data-testid="chat" data-id={props.id}>
      <header class="chat-head">
        <Link href={props.back} class="button small chat-back" testid="chat-back">
          ← {t('inbox.back')}
        </Link>
        <div class="chat-title">
          <strong data-testid="chat-title">{title}</strong>
          <span class="muted small">
            {c?.phone || (conv ? convPhone(conv) : '')}
            {conv && <span class={`badge state-${conv.state}`}>{tx('state', conv.state)}</span>}
          </span>
        </div>
        <div class="chat-actions">
          <button type="button" class="small chat-customer-btn" onClick={props.onShowCustomer}>
            {t('inbox.customer')}
          </button>
          {props.admin && (
            <label class="inline small">
              {t('inbox.assignTo')}
              <select data-testid="assign-select" value={conv?.assignee_id ?? ''} onChange={(e) => void assign(e.currentTarget.value)}>
                <option value="">{t('inbox.nobody')}</option>
                {assignable.map((a) => (
                  <option key={a.id} value={a.id}>
                    {agentName(a)} {agentOnline(a) ? '●' : '○'}
                  </option>
                ))}
              </select>
            </label>
          )}
          {open && (
            <button type="button" class="small" data-testid="resolve-button" onClick={() => void resolve()}>
              ✓ {t('inbox.resolve')}
            </button>
          )}
        </div>
      </header>
      <ul class="messages" ref={scroller} data-testid="messages">
        {props.loading && <Loading />}
        {!props.loading && props.hasOlder && (
          <li class="load-older">
            <button type="button" class="small" data-testid="load-older" disabled={props.loadingOlder} onClick={loadOlder}>
              {props.loadingOlder ? t('inbox.loadingOlder') : t('inbox.loadOlder')}
            </button>
          </li>
        )}
        {!props.loading && props.messages.length === 0 && <li class="muted">{t('inbox.noMessages')}</li>}
        {props.messages.map((m) => (
          <MessageBubble key={m.id} m={m} onRetry={props.admin ? (id) => void retry(id) : undefined} />
        ))}
      </ul>
      <ErrorBox error={props.error} />
      {!open && <p class="inbox-note">{t('inbox.closedNote')}</p>}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        {quickOpen && (
          <div class="quick-list" data-testid="quick-list">
            {templates.error ? <p class="danger-text">{errorText(templates.error)}</p> : null}
            {templates.data && templates.data.length === 0 && <p class="muted">{t('inbox.noTemplates')}</p>}
            {(templates.data ?? []).map((tpl) => (
              <button type="button" key={tpl.id} class="quick" data-testid="quick-reply" data-id={tpl.id} onClick={() => pickTemplate(tpl)}>
                <strong>{tpl.name}</strong>
                <span class="muted small">{fillTemplate(tpl.body, values)}</span>
              </button>
            ))}
          </div>
        )}
        {file && (
          <div class="attachment" data-testid="attachment">
            <PaperClip /> {file.name}{' '}
            <button type="button" class="link" aria-label={t('inbox.removeFile')} title={t('inbox.removeFile')} onClick={() => {
              setFile(null);
              if (fileInput.current) fileInput.current.value = '';
            }}>
              ✕
            </button>
          </div>
        )}
        {note && <p class="hint" data-testid="quick-note">{note}</p>}
        <p class="hint enter-hint">{t('inbox.enterHint')}</p>
        <ErrorBox error={error} />
        <div class="composer-row">
          <button type="button" class="icon" title={t('inbox.attach')} aria-label={t('inbox.attach')} data-testid="attach-button" onClick={() => fileInput.current?.click()}>
            <PaperClip />
          </button>
          <input
            ref={fileInput}
            type="file"
            hidden
            data-testid="attach-input"
            accept="image/*,application/pdf,.doc,.docx,.xls,.xlsx,.csv,.txt"
            onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          />
          <button type="button" class="icon" title={t('inbox.quick')} aria-label={t('inbox.quick')} aria-expanded={quickOpen} data-testid="quick-replies-button" onClick={() => setQuickOpen(!quickOpen)}>
            ⚡
          </button>
          <textarea
            ref={input}
            rows={Math.min(6, Math.max(2, text.split('\n').length + Math.floor(text.length / 70)))}
            value={text}
            placeholder={t('inbox.placeholder')}
            title={t('inbox.enterHint')}
            data-testid="composer-input"
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={onKeyDown}
          />
          <button type="submit" class="primary" disabled={busy || (!text.trim() && !file)} data-testid="composer-send">
            {busy ? t('inbox.sending') : t('inbox.send')}
          </button>
        </div>
      </form>
    </div>
  );
}

function CustomerPanel(props: { customer: Customer | null; error: unknown; loading: boolean; reload: () => Promise<void>; fallbackName: string; fallbackPhone: string }) {
  const c = props.customer;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!c) {
    return (
      <div class="card customer-panel" data-testid="customer-panel">
        {props.error ? <ErrorBox error={props.error} onRetry={props.reload} /> : props.loading ? <Loading /> : null}
        {!props.loading && !props.error && (
          <dl class="facts">
            <dt>{t('customers.name')}</dt>
            <dd>{props.fallbackName || '—'}</dd>
            <dt>{t('customers.phone')}</dt>
            <dd>{props.fallbackPhone || '—'}</dd>
          </dl>
        )}
      </div>
    );
  }
  async function save(e: Event) {
    e.preventDefault();
    const v = name.trim();
    if (!v) return;
    setBusy(true);
    setError(null);
    try {
      if (v !== c!.name) await request('PATCH', `/api/v1/customers/${enc(c!.id)}`, { name: v });
      await props.reload();
      setEditing(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const orders = (c.recent_orders ?? []).slice().sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '')).slice(0, 5);
  return (
    <div class="card customer-panel" data-testid="customer-panel" data-id={c.id}>
      {editing ? (
        <form class="stack" onSubmit={save} data-testid="panel-name-form">
          <label>
            {t('customers.name')}
            <input value={name} required onInput={(e) => setName(e.currentTarget.value)} data-testid="panel-name-input" />
          </label>
          <ErrorBox error={error} />
          <div class="row">
            <button type="submit" class="primary small" disabled={busy} data-testid="panel-name-save">
              {busy ? t('common.saving') : t('common.save')}
            </button>
            <button type="button" class="small" onClick={() => setEditing(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <div class="panel-name">
          <h2 data-testid="panel-name">{c.name || c.phone || c.id}</h2>
          <button
            type="button"
            class="link small"
            data-testid="panel-edit-name"
            title={t('inbox.editName')}
            onClick={() => {
              setName(c.name);
              setEditing(true);
            }}
          >
            ✎ {t('common.edit')}
          </button>
        </div>
      )}
      <div class="chips">
        {(c.segments ?? [c.primary_segment]).filter(Boolean).map((s) => (
          <SegmentBadge key={s} segment={s} primary={s === c.primary_segment} />
        ))}
      </div>
      <dl class="facts">
        <dt>{t('customers.phone')}</dt>
        <dd data-testid="panel-phone">{c.phone ?? '—'}</dd>
        <dt>{t('customers.email')}</dt>
        <dd data-testid="panel-email">{c.email ?? '—'}</dd>
        {(c.city || c.province) && (
          <>
            <dt>{t('customers.city')}</dt>
            <dd>{[c.city, c.province].filter(Boolean).join(', ')}</dd>
          </>
        )}
        <dt>{t('customers.orders')}</dt>
        <dd>{number(c.order_count)}</dd>
        <dt>{t('customers.spent')}</dt>
        <dd data-testid="panel-spent">{rupiah(c.total_spent)}</dd>
      </dl>
      <h3>{t('inbox.recentOrders')}</h3>
      {orders.length === 0 ? (
        <p class="muted small">{t('inbox.noOrders')}</p>
      ) : (
        <ul class="panel-orders" data-testid="panel-orders">
          {orders.map((o) => (
            <li key={o.id}>
              <Link href={`/orders/${enc(o.id)}`}>{o.external_id ?? o.id}</Link>
              <span class="nowrap">{rupiah(o.total, o.currency)}</span>
              <StatusBadge status={o.status} />
              <span class="muted small">{clock(o.created_at)}</span>
            </li>
          ))}
        </ul>
      )}
      <p class="small">
        <Link href={`/customers/${enc(c.id)}`}>{t('inbox.openCustomer')} →</Link>
      </p>
    </div>
  );
}
