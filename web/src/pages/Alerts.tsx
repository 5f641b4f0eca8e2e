// Alerts (shown only when GET /api/v1/alerts exists): open and acknowledged, with ack.
import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Loading, PageHeader, useLoad } from '../components/ui';
import { dateTime } from '../format';
import { t } from '../i18n';
import { useLive } from '../live';
import type { Alert } from '../types';

export function AlertsPage() {
  const [state, setState] = useState<'open' | 'acknowledged'>('open');
  const list = useLoad(() => api.get<Page<Alert>>('/api/v1/alerts', { state, limit: 100 }), [state]);
  const [error, setError] = useState<unknown>(null);
  useLive(['alert.'], () => void list.reload());
  async function ack(a: Alert) {
    setError(null);
    try {
      await request('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, {});
      await list.reload();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section class="page" data-testid="page-alerts">
      <PageHeader title={t('alerts.title')}>
        <div class="chips">
          {(['open', 'acknowledged'] as const).map((s) => (
            <button type="button" key={s} class={state === s ? 'chip active' : 'chip'} onClick={() => setState(s)}>
              {t(s === 'open' ? 'alerts.open' : 'alerts.acknowledged')}
            </button>
          ))}
        </div>
      </PageHeader>
      <ErrorBox error={error || list.error} />
      {!list.data && <Loading />}
      {list.data && list.data.items.length === 0 && <p class="muted">{t('alerts.none')}</p>}
      <ul class="alerts">
        {(list.data?.items ?? []).map((a) => (
          <li key={a.id} class={`card alert sev-${a.severity ?? 'info'}`} data-testid="alert">
            <div>
              <strong>{a.title ?? a.type ?? a.kind}</strong> <span class="muted small">{dateTime(a.created_at ?? a.raised_at)}</span>
            </div>
            {a.message && <p>{a.message}</p>}
            {a.subject && <p class="muted small">{a.subject}</p>}
            {a.recommended_qty != null && <p class="small">{t('stock.suggest')}: {a.recommended_qty}</p>}
            {state === 'open' && (
              <button type="button" onClick={() => void ack(a)}>
                {t('alerts.ack')}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
