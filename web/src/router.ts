// A small history-API router: the path is the state. The server answers index.html for any
// app path without an extension (http/static_files.h), so deep links and reloads work.
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((f) => f());
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => listeners.forEach((f) => f()));

export interface Route {
  path: string;
  query: URLSearchParams;
}

export function currentRoute(): Route {
  return { path: location.pathname.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const f = () => setRoute(currentRoute());
    listeners.add(f);
    return () => {
      listeners.delete(f);
    };
  }, []);
  return route;
}

// Matches "/orders/:id" against a path; null when it does not match.
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) out[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

// Updates the query string of the current path without a new history entry.
export function setQuery(q: Record<string, string | undefined>): void {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  const s = p.toString();
  navigate(location.pathname + (s ? `?${s}` : ''), true);
}
