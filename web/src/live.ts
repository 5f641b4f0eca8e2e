// Live updates: one EventSource on GET /api/v1/stream (the session cookie goes along), and
// subscribers by event-type prefix. The server sends one SSE message per event:
//   event: order.placed
//   id: 42
//   data: {"type":"order.placed","stream":"ord_…","position":"42","time":"…"}
// EventSource reconnects by itself after a network error; when the server refuses the
// stream (401, 5xx) the browser gives up, so we start a new one with backoff. After every
// (re)connection subscribers get a synthetic "live.reconnected" event, so pages refetch
// what they may have missed.
import { useEffect, useRef } from 'preact/hooks';

export interface LiveEvent {
  type: string;
  stream?: string;
  position?: string;
  time?: string;
}
export type LiveState = 'connecting' | 'open' | 'closed';

// Every event type the server may push (http/api/stream.cc: order.*, product.*, stock.*,
// warehouse.*, customer.*, settings.*, alert.*, message.*, conversation.*, agent.*).
export const EVENT_TYPES = [
  'order.placed',
  'order.status_changed',
  'order.cancelled',
  'order.flagged',
  'product.defined',
  'product.updated',
  'stock.adjusted',
  'stock.transferred',
  'stock.reserved',
  'stock.released',
  'warehouse.created',
  'customer.registered',
  'customer.renamed',
  'customer.updated',
  'settings.changed',
  'alert.raised',
  'alert.acknowledged',
  'alert.resolved',
  'message.queued',
  'message.sending',
  'message.retry_requested',
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'conversation.started',
  'conversation.assigned',
  'conversation.closed',
  'conversation.opened',
  'conversation.message_linked',
  'agent.status_changed',
  'whatsapp.status_changed',
];

type Sub = { prefixes: string[]; f: (e: LiveEvent) => void };
const subs = new Set<Sub>();
const stateListeners = new Set<(s: LiveState) => void>();
let source: EventSource | null = null;
let state: LiveState = 'closed';
let retryTimer: number | undefined;
let backoff = 1000;
let wanted = false;

function setState(s: LiveState): void {
  state = s;
  stateListeners.forEach((f) => f(s));
}

function dispatch(e: LiveEvent): void {
  for (const s of subs) {
    if (e.type === 'live.reconnected' || s.prefixes.some((p) => e.type.startsWith(p))) s.f(e);
  }
}

function onMessage(type: string, ev: MessageEvent): void {
  let data: LiveEvent = { type };
  try {
    data = { ...(JSON.parse(ev.data) as LiveEvent), type };
  } catch {
    /* keep the type alone */
  }
  dispatch(data);
}

function open(): void {
  if (!wanted || source) return;
  setState('connecting');
  const es = new EventSource('/api/v1/stream', { withCredentials: true });
  source = es;
  let everOpened = false;
  es.onopen = () => {
    backoff = 1000;
    setState('open');
    // After a reconnection, refetch what may have been missed.
    if (everOpened || reconnects > 0) dispatch({ type: 'live.reconnected' });
    everOpened = true;
    reconnects++;
  };
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      source = null;
      setState('closed');
      if (wanted) {
        retryTimer = window.setTimeout(open, backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    } else {
      setState('connecting');
    }
  };
  es.onmessage = (ev) => onMessage('message', ev);
  for (const type of EVENT_TYPES) es.addEventListener(type, (ev) => onMessage(type, ev as MessageEvent));
}
let reconnects = 0;

export function startLive(): void {
  wanted = true;
  open();
}

export function stopLive(): void {
  wanted = false;
  if (retryTimer) window.clearTimeout(retryTimer);
  source?.close();
  source = null;
  reconnects = 0;
  setState('closed');
}

export function liveState(): LiveState {
  return state;
}
export function onLiveState(f: (s: LiveState) => void): () => void {
  stateListeners.add(f);
  return () => stateListeners.delete(f);
}

export function subscribe(prefixes: string[], f: (e: LiveEvent) => void): () => void {
  const s = { prefixes, f };
  subs.add(s);
  return () => subs.delete(s);
}

// Calls `refresh` (debounced, so a burst of events is one refetch) when an event whose type
// starts with one of `prefixes` arrives, or after a reconnection.
export function useLive(prefixes: string[], refresh: (e: LiveEvent) => void, delayMs = 250): void {
  const ref = useRef(refresh);
  ref.current = refresh;
  const key = prefixes.join(',');
  useEffect(() => {
    let timer: number | undefined;
    let last: LiveEvent | null = null;
    const unsub = subscribe(prefixes, (e) => {
      last = e;
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        timer = undefined;
        if (last) ref.current(last);
      }, delayMs);
    });
    return () => {
      unsub();
      if (timer) window.clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, delayMs]);
}
