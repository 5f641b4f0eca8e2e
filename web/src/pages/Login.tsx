import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { LangSwitch } from '../components/Layout';
import { errorText, formValues } from '../components/ui';
import { t } from '../i18n';
import { login } from '../session';

export function LoginPage(props: { expired?: boolean }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    const v = formValues(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError('');
    try {
      await login(v.email.trim(), v.password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('login.wrong'));
      else if (err instanceof ApiError && err.status === 429)
        setError(t('login.throttled', { seconds: String(err.details['retry_after'] ?? 60) }));
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="login-wrap">
      <form class="card login" onSubmit={submit} data-testid="login-form">
        <div class="login-head">
          <span class="logo big">R</span>
          <div>
            <h1>{t('login.title')}</h1>
            <p class="muted">{t('app.tagline')}</p>
          </div>
        </div>
        {props.expired && !error && <div class="notice info">{t('login.expired')}</div>}
        {error && (
          <div class="notice error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <label>
          {t('login.email')}
          <input name="email" type="email" autocomplete="username" required data-testid="login-email" />
        </label>
        <label>
          {t('login.password')}
          <input name="password" type="password" autocomplete="current-password" required data-testid="login-password" />
        </label>
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
        <div class="login-foot">
          <LangSwitch />
        </div>
      </form>
    </div>
  );
}
