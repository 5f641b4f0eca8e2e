// The frame around every page: header (shop, ONLINE/OFFLINE toggle when the CS inbox exists,
// language switch, live state, user), the menu
// (a sidebar on a laptop, a drawer on a phone) and the page.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Features } from '../features';
import { lang, setLang, t, type Key } from '../i18n';
import { liveState, onLiveState, type LiveState } from '../live';
import { useRoute } from '../router';
import { currentUser, logout } from '../session';
import { AgentToggle } from './AgentStatus';
import { Link } from './ui';

interface NavItem {
  href: string;
  key: Key;
  admin?: boolean;
  feature?: 'alerts' | 'whatsapp' | 'templates' | 'reminders' | 'inbox';
}

const NAV: NavItem[] = [
  { href: '/', key: 'nav.dashboard' },
  { href: '/inbox', key: 'nav.inbox', feature: 'inbox' },
  { href: '/orders', key: 'nav.orders' },
  { href: '/products', key: 'nav.products' },
  { href: '/stock', key: 'nav.stock' },
  { href: '/customers', key: 'nav.customers' },
  { href: '/alerts', key: 'nav.alerts', feature: 'alerts' },
  { href: '/templates', key: 'nav.templates', feature: 'templates' },
  { href: '/reminders', key: 'nav.reminders', feature: 'reminders', admin: true },
  { href: '/whatsapp', key: 'nav.whatsapp', feature: 'whatsapp', admin: true },
  { href: '/integrations', key: 'nav.integrations', admin: true },
  { href: '/settings', key: 'nav.settings', admin: true },
];

export function LangSwitch() {
  const other = lang() === 'id' ? 'en' : 'id';
  return (
    <button type="button" class="lang" data-testid="lang-switch" title={t('lang.switch')} onClick={() => setLang(other)}>
      {t('lang.switch')}
    </button>
  );
}

function LiveDot() {
  const [s, setS] = useState<LiveState>(liveState());
  useEffect(() => onLiveState(setS), []);
  const label = s === 'open' ? t('live.open') : s === 'connecting' ? t('live.connecting') : t('live.closed');
  return (
    <span class={`live live-${s}`} data-testid="live-state" data-state={s} title={label}>
      <span class="dot" /> <span class="live-label">{label}</span>
    </span>
  );
}

export function Layout(props: { shopName: string; features: Features; children: ComponentChildren }) {
  const route = useRoute();
  const [open, setOpen] = useState(false);
  const user = currentUser();
  const admin = user?.role === 'admin';
  const features = props.features;
  const items = NAV.filter((n) => (!n.admin || admin) && (!n.feature || features[n.feature]));
  const active = (href: string) => (href === '/' ? route.path === '/' : route.path === href || route.path.startsWith(href + '/'));
  return (
    <div class={`shell${open ? ' nav-open' : ''}`}>
      <header class="topbar">
        <button type="button" class="menu-btn" aria-label={t('nav.menu')} onClick={() => setOpen(!open)} data-testid="menu-button">
          ☰
        </button>
        <Link href="/" class="brand">
          <span class="logo">R</span> <span data-testid="shop-name">{props.shopName || t('app.name')}</span>
        </Link>
        <div class="topbar-right">
          {features.inbox && <AgentToggle />}
          <LiveDot />
          <LangSwitch />
          <span class="user" data-testid="current-user">
            <span class="user-email">{user?.email}</span> <span class="badge role">{t(user?.role === 'admin' ? 'role.admin' : 'role.cs')}</span>
          </span>
          <button type="button" class="link" data-testid="logout" onClick={() => void logout()}>
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <nav class="sidebar" data-testid="nav">
        {items.map((n) => (
          <Link key={n.href} href={n.href} class={active(n.href) ? 'active' : ''} testid={`nav-${n.href.slice(1) || 'dashboard'}`} onClick={() => setOpen(false)}>
            {t(n.key)}
          </Link>
        ))}
      </nav>
      <main class="content">{props.children}</main>
    </div>
  );
}
