// Small shared pieces: links, data loading, errors, badges, paging.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { t, tx } from '../i18n';
import { navigate } from '../router';

export function Link(props: { href: string; class?: string; children: ComponentChildren; testid?: string; onClick?: () => void }) {
  return (
    <a
      href={props.href}
      class={props.class}
      data-testid={props.testid}
      onClick={(e: JSX.TargetedMouseEvent<HTMLAnchorElement>) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        props.onClick?.();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

// Runs `load` when `deps` change and on reload(); keeps the previous data while reloading so
// live refreshes do not flicker. Answers that arrive out of order are dropped.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(async () => {
    const n = ++seq.current;
    setLoading(true);
    try {
      const d = await loadRef.current();
      if (n !== seq.current) return;
      setData(d);
      setError(null);
    } catch (e) {
      if (n !== seq.current) return;
      setError(e);
    } finally {
      if (n === seq.current) setLoading(false);
    }
  }, []);
  useEffect(() => {
    void reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { data, error, loading, reload };
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 403) return t('common.forbidden');
    if (e.field) return t('common.fieldError', { field: e.field, message: e.message });
    return e.message || e.code;
  }
  return e instanceof Error ? e.message : String(e);
}

export function ErrorBox(props: { error: unknown; onRetry?: () => void }) {
  if (!props.error) return null;
  return (
    <div class="notice error" role="alert" data-testid="error">
      {t('common.error', { message: errorText(props.error) })}
      {props.onRetry && (
        <button type="button" class="link" onClick={props.onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Notice(props: { kind?: 'ok' | 'info' | 'error'; children: ComponentChildren; testid?: string }) {
  return (
    <div class={`notice ${props.kind ?? 'info'}`} role="status" data-testid={props.testid}>
      {props.children}
    </div>
  );
}

export function Loading() {
  return <p class="muted">{t('common.loading')}</p>;
}

export function Forbidden() {
  return (
    <section class="page">
      <div class="notice error" data-testid="forbidden">
        {t('common.forbidden')}
      </div>
    </section>
  );
}

export function StatusBadge(props: { status: string }) {
  return (
    <span class={`badge status-${props.status}`} data-testid="status-badge">
      {tx('status', props.status)}
    </span>
  );
}

export function SegmentBadge(props: { segment: string; primary?: boolean }) {
  return (
    <span class={`badge seg-${props.segment}${props.primary ? ' primary' : ''}`} data-testid="segment-badge">
      {tx('segment', props.segment)}
    </span>
  );
}

export function Pager(props: { hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void }) {
  if (!props.hasPrev && !props.hasNext) return null;
  return (
    <nav class="pager">
      <button type="button" disabled={!props.hasPrev} onClick={props.onPrev} data-testid="prev-page">
        ← {t('common.prev')}
      </button>
      <button type="button" disabled={!props.hasNext} onClick={props.onNext} data-testid="next-page">
        {t('common.next')} →
      </button>
    </nav>
  );
}

// Cursor paging: a stack of the cursors that opened the pages before the current one.
export function useCursorPager(resetKey: string) {
  const [stack, setStack] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string>('');
  useEffect(() => {
    setStack([]);
    setCursor('');
  }, [resetKey]);
  return {
    cursor,
    hasPrev: stack.length > 0,
    next(nextCursor: string | null) {
      if (!nextCursor) return;
      setStack([...stack, cursor]);
      setCursor(nextCursor);
    },
    prev() {
      const s = stack.slice();
      const c = s.pop() ?? '';
      setStack(s);
      setCursor(c);
    },
  };
}

export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{props.title}</h1>
      {props.children && <div class="page-actions">{props.children}</div>}
    </header>
  );
}

// Reads a form's named fields as strings.
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  new FormData(form).forEach((v, k) => {
    out[k] = typeof v === 'string' ? v : '';
  });
  return out;
}
