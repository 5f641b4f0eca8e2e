// The dictionary lookup: t('orders.title'), t('dash.today', { date }). Indonesian by
// default; the choice is kept in localStorage ("roms.lang"). Components never hold text.
import { en } from './en';
import { id, type Key } from './id';

export type Lang = 'id' | 'en';
export type { Key };

const dictionaries: Record<Lang, Record<Key, string>> = { id, en };
const STORAGE_KEY = 'roms.lang';

function initial(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (v === 'en' || v === 'id') return v;
  } catch {
    /* storage may be disabled */
  }
  return 'id';
}

let current: Lang = initial();
const listeners = new Set<(l: Lang) => void>();

export function lang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l;
  listeners.forEach((f) => f(l));
}

export function onLangChange(f: (l: Lang) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function t(key: Key, vars?: Record<string, string | number>): string {
  let s = dictionaries[current][key] ?? dictionaries.id[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

// A key built at run time ("status." + status): falls back to the raw value when unknown.
export function tx(prefix: string, value: string | null | undefined): string {
  if (!value) return '';
  const key = `${prefix}.${value}` as Key;
  return key in dictionaries.id ? t(key) : value;
}
