// The app: recovers the session (GET /api/v1/auth/me), then routes. Language changes
// re-render everything (every text comes from the dictionary at render time).
import { useEffect, useState } from 'preact/hooks';
import { api, setUnauthorizedHandler } from './api';
import { Layout } from './components/Layout';
import { Forbidden, Loading } from './components/ui';
import { currentFeatures, probeFeatures } from './features';
import { setTimeZone } from './format';
import { lang, onLangChange, t } from './i18n';
import { startLive, stopLive } from './live';
import { AlertsPage } from './pages/Alerts';
import { RemindersPage, TemplatesPage } from './pages/Automations';
import { CustomerDetail, CustomersPage } from './pages/Customers';
import { DashboardPage } from './pages/Dashboard';
import { InboxPage } from './pages/Inbox';
import { IntegrationsPage } from './pages/Integrations';
import { LoginPage } from './pages/Login';
import { NewOrderPage } from './pages/NewOrder';
import { OrderDetail } from './pages/OrderDetail';
import { OrdersPage } from './pages/Orders';
import { ProductPage, ProductsPage } from './pages/Products';
import { SettingsPage } from './pages/Settings';
import { StockPage } from './pages/Stock';
import { WhatsAppPage } from './pages/WhatsApp';
import { match, navigate, useRoute } from './router';
import { currentUser, onSessionChange, recoverSession, sessionLost } from './session';
import type { Settings, User } from './types';

function Routes(props: { admin: boolean }) {
  const { path } = useRoute();
  const admin = props.admin;
  const f = currentFeatures();
  let m: Record<string, string> | null;
  if (path === '/' || path === '/login') return <DashboardPage />;
  if (path === '/inbox' && f.inbox) return <InboxPage id={null} />;
  if ((m = match('/inbox/:id', path)) && f.inbox) return <InboxPage id={m.id} />;
  if (path === '/orders') return <OrdersPage />;
  if (path === '/orders/new') return admin ? <NewOrderPage /> : <Forbidden />;
  if ((m = match('/orders/:id', path))) return <OrderDetail id={m.id} />;
  if (path === '/products') return <ProductsPage />;
  if (path === '/products/new') return admin ? <ProductPage id={null} /> : <Forbidden />;
  if ((m = match('/products/:id', path))) return <ProductPage id={m.id} />;
  if (path === '/stock') return <StockPage />;
  if (path === '/customers') return <CustomersPage />;
  if ((m = match('/customers/:id', path))) return <CustomerDetail id={m.id} />;
  if (path === '/settings') return admin ? <SettingsPage /> : <Forbidden />;
  if (path === '/integrations') return admin ? <IntegrationsPage /> : <Forbidden />;
  if (path === '/alerts' && f.alerts) return <AlertsPage />;
  if (path === '/templates' && f.templates) return <TemplatesPage />;
  if (path === '/reminders' && f.reminders) return admin ? <RemindersPage /> : <Forbidden />;
  if (path === '/whatsapp' && f.whatsapp) return admin ? <WhatsAppPage /> : <Forbidden />;
  return (
    <section class="page">
      <p data-testid="not-found">{t('common.notFound')}</p>
    </section>
  );
}

export function App() {
  const [booting, setBooting] = useState(true);
  const [user, setUser] = useState<User | null>(currentUser());
  const [, setLangState] = useState(lang());
  const [shopName, setShopName] = useState('');
  const [expired, setExpired] = useState(false);
  const [features, setFeatures] = useState(currentFeatures());

  useEffect(() => {
    document.documentElement.lang = lang();
    const offLang = onLangChange(setLangState);
    const offSession = onSessionChange((u) => setUser(u));
    setUnauthorizedHandler(() => {
      setExpired(true);
      sessionLost();
    });
    void recoverSession().finally(() => setBooting(false));
    return () => {
      offLang();
      offSession();
    };
  }, []);

  useEffect(() => {
    if (!user) {
      stopLive();
      return;
    }
    setExpired(false);
    let cancelled = false;
    void probeFeatures().then((f) => !cancelled && setFeatures(f));
    api
      .get<Settings>('/api/v1/settings')
      .then((s) => {
        if (cancelled) return;
        setTimeZone(s.time_zone);
        setShopName(s.shop_name);
      })
      .catch(() => undefined);
    startLive();
    if (location.pathname === '/login') navigate('/', true);
    return () => {
      cancelled = true;
    };
  }, [user?.id]);

  if (booting)
    return (
      <div class="boot">
        <Loading />
      </div>
    );
  if (!user) return <LoginPage expired={expired} />;
  return (
    <Layout shopName={shopName} features={features}>
      <Routes admin={user.role === 'admin'} />
    </Layout>
  );
}
