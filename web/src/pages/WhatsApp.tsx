// WhatsApp connection (shown only when GET /api/v1/whatsapp/status exists): status and the
// gateway's pairing QR image.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading, PageHeader, useLoad } from '../components/ui';
import { t } from '../i18n';
import { useLive } from '../live';

export function WhatsAppPage() {
  const status = useLoad(() => api.get<{ status: string }>('/api/v1/whatsapp/status'), []);
  const [qrFailed, setQrFailed] = useState(false);
  const [qrStamp, setQrStamp] = useState(Date.now());
  useLive(['whatsapp.'], () => {
    void status.reload();
    setQrFailed(false);
    setQrStamp(Date.now());
  });
  const s = status.data?.status ?? 'unknown';
  return (
    <section class="page" data-testid="page-whatsapp">
      <PageHeader title={t('wa.title')} />
      <ErrorBox error={status.error} />
      {!status.data && <Loading />}
      <div class="card stack">
        <p>
          {t('wa.status')}:{' '}
          <span class={`wa wa-${s}`}>
            <span class="dot" /> {s === 'connected' ? t('dash.wa.connected') : s === 'disconnected' ? t('dash.wa.disconnected') : s}
          </span>
        </p>
        {s !== 'connected' &&
          (qrFailed ? (
            <p class="muted">{t('wa.qrUnavailable')}</p>
          ) : (
            <>
              <p>{t('wa.qr')}</p>
              <img class="qr" src={`/api/v1/whatsapp/qr?t=${qrStamp}`} alt="QR" onError={() => setQrFailed(true)} />
            </>
          ))}
      </div>
    </section>
  );
}
