// The agents (GET /api/v1/agents) as a small shared store, and the ONLINE/OFFLINE toggle in
// the header (POST /api/v1/agents/me/status). The state is the server's: the toggle shows what
// the read model says after the change and follows agent.* events from other tabs/devices.
// While ONLINE the app sends POST /api/v1/agents/me/heartbeat every minute (and when the tab
// becomes visible again): the server sets an agent OFFLINE after agent_idle_minutes (10 by
// default) without a heartbeat or any action of theirs, and when their sessions end.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import { agentOnline, agentUserId, itemsOf, type Agent } from '../inbox-logic';
import { subscribe } from '../live';
import { currentUser } from '../session';
import { errorText } from './ui';

let agents: Agent[] = [];
let loaded = false;
let inflight: Promise<void> | null = null;
// The status this tab last set, until the list shows it (or when the list has no row for us).
let mine: { status: 'online' | 'offline'; at: number } | null = null;
const listeners = new Set<() => void>();
let unsubLive: (() => void) | null = null;

function notify(): void {
  listeners.forEach((f) => f());
}

export function reloadAgents(): Promise<void> {
  if (inflight) return inflight;
  inflight = api
    .get<unknown>('/api/v1/agents')
    .then((d) => {
      agents = itemsOf<Agent>(d);
      loaded = true;
      const me = myAgent();
      if (me && mine && agentOnline(me) === (mine.status === 'online')) mine = null;
      notify();
    })
    .catch(() => {
      // Not listed (or not allowed to list): the toggle still works from what this tab sets.
      loaded = true;
      notify();
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

export function myAgent(): Agent | undefined {
  const u = currentUser();
  if (!u) return undefined;
  return agents.find((a) => agentUserId(a) === u.id || a.id === u.id || (!!a.email && a.email === u.email));
}

// Whether this user is ONLINE: what this tab just set (for a few seconds, or when the list
// has no row for us), else the list.
export function amOnline(): boolean {
  const me = myAgent();
  if (mine && (!me || Date.now() - mine.at < 5000)) return mine.status === 'online';
  return agentOnline(me);
}

export function useAgents(): { agents: Agent[]; loaded: boolean } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const f = () => setTick((n) => n + 1);
    listeners.add(f);
    if (!unsubLive) {
      unsubLive = subscribe(['agent.'], () => void reloadAgents());
    }
    if (!loaded) void reloadAgents();
    return () => {
      listeners.delete(f);
      if (listeners.size === 0 && unsubLive) {
        unsubLive();
        unsubLive = null;
        loaded = false;
        mine = null;
      }
    };
  }, []);
  return { agents, loaded };
}

export async function setMyStatus(status: 'online' | 'offline'): Promise<void> {
  await api.post('/api/v1/agents/me/status', { status });
  mine = { status, at: Date.now() };
  notify();
  await reloadAgents();
}

const HEARTBEAT_MS = 60_000;

async function heartbeat(): Promise<void> {
  try {
    const r = await api.post<{ status?: string }>('/api/v1/agents/me/heartbeat', {});
    if (r.data?.status && (r.data.status === 'online') !== amOnline()) {
      mine = null;
      await reloadAgents();
    }
  } catch {
    /* the next beat or the live stream will tell */
  }
}

export function AgentToggle() {
  const { loaded } = useAgents();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const online = amOnline();
  // Until the list has answered, the state is not known (and a click would guess).
  const status = !loaded && !mine ? 'unknown' : online ? 'online' : 'offline';
  useEffect(() => {
    if (!online) return;
    const timer = window.setInterval(() => void heartbeat(), HEARTBEAT_MS);
    const onVisible = () => {
      if (document.visibilityState === 'visible') void heartbeat();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [online]);
  async function toggle() {
    setBusy(true);
    setError('');
    try {
      await setMyStatus(online ? 'offline' : 'online');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <button
      type="button"
      class={`agent-toggle agent-${status}`}
      data-testid="agent-toggle"
      data-status={status}
      aria-pressed={online}
      aria-label={t(online ? 'agent.online' : 'agent.offline')}
      disabled={busy || status === 'unknown'}
      title={error || t(online ? 'agent.toggleOff' : 'agent.toggleOn')}
      onClick={() => void toggle()}
    >
      <span class="dot" /> <span class="agent-label">{t(online ? 'agent.online' : 'agent.offline')}</span>
      {error && <span class="agent-error" role="alert">!</span>}
    </button>
  );
}
