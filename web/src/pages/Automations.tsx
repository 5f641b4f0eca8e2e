// Message templates and repeat-order reminder rules (shown when their endpoints exist).
// Admin creates, edits and deletes; CS reads templates.
import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Loading, Notice, PageHeader, formValues, useLoad } from '../components/ui';
import { t, tx } from '../i18n';
import { useLive } from '../live';
import { isAdmin } from '../session';
import type { Product } from '../types';

export const TEMPLATE_TYPES = ['order_confirmation', 'greeting', 'bank_info', 'shipping', 'reminder', 'broadcast', 'custom'] as const;

interface Template {
  id: string;
  name: string;
  type: string;
  body: string;
  variables: string[];
  wa_template_name: string | null;
  wa_language: string | null;
  default: boolean;
}
interface Rule {
  id: string;
  name: string;
  days_after_delivery: number;
  product_id: string | null;
  template_id: string | null;
  body: string | null;
  enabled: boolean;
  stats: { scheduled: number; sent: number; cancelled: number; pending: number };
}

function TemplateForm(props: { tpl?: Template; onDone: () => void; onCancel?: () => void }) {
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const body = { name: v.name.trim(), type: v.type, body: v.body, wa_template_name: v.wa_template_name.trim() || undefined, wa_language: v.wa_language.trim() || undefined };
    setError(null);
    try {
      if (props.tpl) await request('PATCH', `/api/v1/templates/${encodeURIComponent(props.tpl.id)}`, body);
      else await request('POST', '/api/v1/templates', body);
      form.reset();
      props.onDone();
    } catch (err) {
      setError(err);
    }
  }
  const p = props.tpl;
  return (
    <form class="card stack" onSubmit={submit} data-testid="template-form" key={p?.id ?? 'new'}>
      <h2>{p ? t('auto.editTemplate', { name: p.name }) : t('auto.newTemplate')}</h2>
      <div class="row">
        <label class="grow">
          {t('auto.name')}
          <input name="name" required value={p?.name ?? ''} />
        </label>
        <label>
          {t('auto.type')}
          <select name="type" value={p?.type ?? 'custom'}>
            {TEMPLATE_TYPES.map((x) => (
              <option key={x} value={x}>
                {tx('tpl', x)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        {t('auto.body')}
        <textarea name="body" rows={4} required value={p?.body ?? ''} />
        <span class="hint">{t('auto.variablesHint')}</span>
      </label>
      <div class="row">
        <label>
          {t('auto.waName')}
          <input name="wa_template_name" value={p?.wa_template_name ?? ''} />
        </label>
        <label>
          {t('auto.waLanguage')}
          <input name="wa_language" placeholder="id" value={p?.wa_language ?? ''} />
        </label>
      </div>
      <ErrorBox error={error} />
      <div class="row">
        <button type="submit" class="primary">
          {t('common.save')}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

export function TemplatesPage() {
  const list = useLoad(() => api.get<Page<Template>>('/api/v1/templates', { limit: 200 }), []);
  const [editing, setEditing] = useState<Template | null>(null);
  const [error, setError] = useState<unknown>(null);
  useLive(['template.'], () => void list.reload());
  const admin = isAdmin();
  async function remove(x: Template) {
    if (!window.confirm(t('auto.deleteConfirm', { name: x.name }))) return;
    try {
      await request('DELETE', `/api/v1/templates/${encodeURIComponent(x.id)}`);
      await list.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section class="page" data-testid="page-templates">
      <PageHeader title={t('auto.templates')} />
      <ErrorBox error={error || list.error} />
      {!list.data && <Loading />}
      <div class="stack">
        {(list.data?.items ?? []).map((x) =>
          editing?.id === x.id ? (
            <TemplateForm key={x.id} tpl={x} onCancel={() => setEditing(null)} onDone={() => (setEditing(null), void list.reload())} />
          ) : (
            <div class="card" key={x.id} data-testid="template">
              <div>
                <strong>{x.name}</strong> <span class="badge">{tx('tpl', x.type)}</span>
                {x.default && <span class="badge ok">{t('auto.default')}</span>}
              </div>
              <p class="pre">{x.body}</p>
              {x.variables.length > 0 && <p class="small muted">{x.variables.map((v) => `{${v}}`).join(' ')}</p>}
              {admin && (
                <div class="row">
                  <button type="button" onClick={() => setEditing(x)}>
                    {t('common.edit')}
                  </button>
                  {!x.default && (
                    <button type="button" class="danger" onClick={() => void remove(x)}>
                      {t('common.remove')}
                    </button>
                  )}
                </div>
              )}
            </div>
          ),
        )}
        {list.data && list.data.items.length === 0 && <p class="muted">{t('common.empty')}</p>}
        {admin && !editing && <TemplateForm onDone={() => void list.reload()} />}
      </div>
    </section>
  );
}

export function RemindersPage() {
  const rules = useLoad(() => api.get<Page<Rule>>('/api/v1/reminders', { limit: 200 }), []);
  const templates = useLoad(() => api.get<Page<Template>>('/api/v1/templates', { limit: 200 }), []);
  const products = useLoad(() => api.get<Page<Product>>('/api/v1/products', { limit: 500 }), []);
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  useLive(['reminder'], () => void rules.reload(), 500);
  const productName = (id: string | null) => (id ? products.data?.items.find((p) => p.id === id)?.name ?? id : t('auto.allProducts'));
  async function create(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    setError(null);
    setOk(false);
    try {
      await request('POST', '/api/v1/reminders', {
        name: v.name.trim(),
        days_after_delivery: Number(v.days),
        product_id: v.product_id || undefined,
        template_id: v.template_id || undefined,
        body: v.template_id ? undefined : v.body,
        enabled: true,
      });
      form.reset();
      setOk(true);
      await rules.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function patch(r: Rule, body: unknown) {
    setError(null);
    try {
      await request('PATCH', `/api/v1/reminders/${encodeURIComponent(r.id)}`, body);
      await rules.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function remove(r: Rule) {
    if (!window.confirm(t('auto.deleteConfirm', { name: r.name }))) return;
    try {
      await request('DELETE', `/api/v1/reminders/${encodeURIComponent(r.id)}`);
      await rules.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section class="page" data-testid="page-reminders">
      <PageHeader title={t('auto.reminders')} />
      <ErrorBox error={error || rules.error} />
      {!rules.data && <Loading />}
      {rules.data && (
        <div class="table-wrap card">
          <table class="table">
            <thead>
              <tr>
                <th>{t('auto.name')}</th>
                <th class="num">{t('auto.days')}</th>
                <th>{t('auto.product')}</th>
                <th>{t('auto.message')}</th>
                <th class="num">{t('auto.sent')}</th>
                <th>{t('auto.enabled')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map((r) => (
                <tr key={r.id} data-testid="reminder-row">
                  <td>{r.name}</td>
                  <td class="num">{r.days_after_delivery}</td>
                  <td>{productName(r.product_id)}</td>
                  <td class="small">{r.template_id ? templates.data?.items.find((x) => x.id === r.template_id)?.name ?? r.template_id : r.body}</td>
                  <td class="num">
                    {r.stats.sent} / {r.stats.scheduled}
                  </td>
                  <td>
                    <input type="checkbox" checked={r.enabled} onChange={(e) => void patch(r, { enabled: e.currentTarget.checked })} />
                  </td>
                  <td>
                    <button type="button" class="danger small" onClick={() => void remove(r)}>
                      {t('common.remove')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rules.data.items.length === 0 && <p class="muted">{t('common.empty')}</p>}
        </div>
      )}
      <form class="card stack" onSubmit={create} data-testid="reminder-form">
        <h2>{t('auto.newReminder')}</h2>
        <div class="row">
          <label class="grow">
            {t('auto.name')}
            <input name="name" required placeholder="Kopi habis? 14 hari" />
          </label>
          <label>
            {t('auto.days')}
            <input name="days" type="number" min="0" step="1" required value="14" />
          </label>
        </div>
        <div class="row">
          <label>
            {t('auto.product')}
            <select name="product_id">
              <option value="">{t('auto.allProducts')}</option>
              {(products.data?.items ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('auto.template')}
            <select name="template_id">
              <option value="">{t('auto.ownText')}</option>
              {(templates.data?.items ?? []).map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          {t('auto.body')}
          <textarea name="body" rows={3} placeholder="Halo {customer_name}, {product_name} sudah mau habis? {recommendation}" />
          <span class="hint">{t('auto.reminderHint')}</span>
        </label>
        {ok && <Notice kind="ok">{t('common.saved')}</Notice>}
        <button type="submit" class="primary">
          {t('common.create')}
        </button>
      </form>
    </section>
  );
}
