// The signed-in user and the CSRF token, recovered on reload with GET /api/v1/auth/me.
import { api, ApiError, request, setCsrfToken } from './api';
import type { Session, User } from './types';

let user: User | null = null;
const listeners = new Set<(u: User | null) => void>();

function set(s: Session | null): void {
  user = s?.user ?? null;
  setCsrfToken(s?.csrf_token ?? '');
  listeners.forEach((f) => f(user));
}

export function currentUser(): User | null {
  return user;
}
export function isAdmin(): boolean {
  return user?.role === 'admin';
}
export function onSessionChange(f: (u: User | null) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

// The session behind the cookie, if any. Any failure means "not signed in".
export async function recoverSession(): Promise<User | null> {
  try {
    const s = await api.get<Session & { api_key?: unknown }>('/api/v1/auth/me');
    if (!s.user) {
      set(null);
      return null;
    }
    set(s);
    return s.user;
  } catch {
    set(null);
    return null;
  }
}

export async function login(email: string, password: string): Promise<User> {
  const r = await request<Session>('POST', '/api/v1/auth/login', { email, password });
  set(r.data);
  return r.data.user;
}

export async function logout(): Promise<void> {
  try {
    await request('POST', '/api/v1/auth/logout', {});
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
  set(null);
}

// The session ended under us (a 401 from any call).
export function sessionLost(): void {
  set(null);
}
