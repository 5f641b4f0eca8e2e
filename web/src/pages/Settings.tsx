// Shop settings and users (Admin only; the router shows CS a "forbidden" notice instead).
import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Loading, Notice, PageHeader, formValues, useLoad } from '../components/ui';
import { dateTime, setTimeZone } from '../format';
import { t, type Key } from '../i18n';
import type { Settings, User } from '../types';

const NUMBERS: [keyof Settings, Key][] = [
  ['big_spender_min_spend', 'settings.bigSpender'],
  ['loyal_min_orders', 'settings.loyal'],
  ['inactive_after_days', 'settings.inactive'],
  ['new_member_days', 'settings.newMember'],
];
const ORDER_NUMBERS: [keyof Settings, Key][] = [
  ['pending_warn_minutes', 'settings.pendingWarn'],
  ['pending_critical_minutes', 'settings.pendingCritical'],
];
const SWITCHES: [keyof Settings, Key][] = [
  ['alerts_stock', 'settings.alertsStock'],
  ['alerts_pending', 'settings.alertsPending'],
  ['automation_thank_you', 'settings.thankYou'],
  ['automation_reminders', 'settings.reminders'],
];

function SettingsForm() {
  const settings = useLoad(() => api.get<Settings>('/api/v1/settings'), []);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const s = settings.data;
  if (!s) return settings.error ? <ErrorBox error={settings.error} onRetry={settings.reload} /> : <Loading />;

  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const body: Record<string, unknown> = {};
    for (const f of ['shop_name', 'time_zone'] as const) if (v[f].trim() !== s![f]) body[f] = v[f].trim();
    for (const [f] of [...NUMBERS, ...ORDER_NUMBERS]) if (Number(v[f]) !== s![f]) body[f] = Number(v[f]);
    for (const [f] of [...SWITCHES, ['allow_backorders'] as [keyof Settings]]) {
      const on = (form.elements.namedItem(f) as HTMLInputElement).checked;
      if (on !== s![f]) body[f] = on;
    }
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      if (Object.keys(body).length) {
        const r = await request<Settings>('PATCH', '/api/v1/settings', body);
        if (r.status === 200) setTimeZone(r.data.time_zone);
      }
      await settings.reload();
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack" onSubmit={submit} data-testid="settings-form" key={JSON.stringify(s)}>
      <div class="card stack">
        <h2>{t('settings.shop')}</h2>
        <div class="row">
          <label class="grow">
            {t('settings.shopName')}
            <input name="shop_name" required value={s.shop_name} data-testid="settings-shop-name" />
          </label>
          <label>
            {t('settings.timeZone')}
            <select name="time_zone" value={s.time_zone}>
              {['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'].map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('settings.currency')}
            <input value={s.currency} disabled />
          </label>
        </div>
      </div>
      <div class="card stack">
        <h2>{t('settings.segments')}</h2>
        <div class="row wrap">
          {NUMBERS.map(([f, k]) => (
            <label key={f}>
              {t(k)}
              <input name={f} type="number" min="0" step="1" value={String(s[f])} data-testid={`settings-${f}`} />
            </label>
          ))}
        </div>
      </div>
      <div class="card stack">
        <h2>{t('settings.orders')}</h2>
        <label class="check">
          <input name="allow_backorders" type="checkbox" checked={s.allow_backorders} />
          {t('settings.backorders')}
        </label>
        <div class="row wrap">
          {ORDER_NUMBERS.map(([f, k]) => (
            <label key={f}>
              {t(k)}
              <input name={f} type="number" min="0" step="1" value={String(s[f])} />
            </label>
          ))}
        </div>
      </div>
      <div class="card stack">
        <h2>{t('settings.alertsAutomation')}</h2>
        {SWITCHES.map(([f, k]) => (
          <label class="check" key={f}>
            <input name={f} type="checkbox" checked={Boolean(s[f])} />
            {t(k)}
          </label>
        ))}
      </div>
      <ErrorBox error={error} />
      {saved && (
        <Notice kind="ok" testid="saved">
          {t('common.saved')}
        </Notice>
      )}
      <button type="submit" class="primary" disabled={busy} data-testid="settings-save">
        {busy ? t('common.saving') : t('common.save')}
      </button>
    </form>
  );
}

function Users() {
  const users = useLoad(() => api.get<Page<User>>('/api/v1/users', { limit: 100 }), []);
  const [error, setError] = useState<unknown>(null);
  async function create(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    setError(null);
    try {
      await request('POST', '/api/v1/users', { email: v.email.trim(), password: v.password, role: v.role });
      form.reset();
      await users.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div class="card stack" data-testid="users">
      <h2>{t('settings.users')}</h2>
      <ErrorBox error={users.error} />
      {users.data && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>{t('settings.userEmail')}</th>
                <th>{t('settings.userRole')}</th>
                <th>{t('integrations.createdAt')}</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <td>
                    {u.email} {u.disabled && <span class="badge">{t('settings.userDisabled')}</span>}
                  </td>
                  <td>{t(u.role === 'admin' ? 'role.admin' : 'role.cs')}</td>
                  <td>{dateTime(u.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="row wrap" onSubmit={create}>
        <label>
          {t('settings.userEmail')}
          <input name="email" type="email" required />
        </label>
        <label>
          {t('settings.userPassword')}
          <input name="password" type="password" minLength={8} required autocomplete="new-password" />
        </label>
        <label>
          {t('settings.userRole')}
          <select name="role">
            <option value="cs">{t('role.cs')}</option>
            <option value="admin">{t('role.admin')}</option>
          </select>
        </label>
        <button type="submit" class="primary align-end">
          {t('settings.userCreate')}
        </button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

export function SettingsPage() {
  return (
    <section class="page" data-testid="page-settings">
      <PageHeader title={t('settings.title')} />
      <SettingsForm />
      <Users />
    </section>
  );
}
