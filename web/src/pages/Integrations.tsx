// API keys (create: the key is shown once; revoke) and the OpenAPI document as readable docs.
import { useState } from 'preact/hooks';
import { api, request, type Page } from '../api';
import { ErrorBox, Loading, Notice, PageHeader, formValues, useLoad } from '../components/ui';
import { dateTime } from '../format';
import { t } from '../i18n';
import type { ApiKey } from '../types';

const SCOPES = ['orders:write', 'catalog:write', 'read'];

function Keys() {
  const keys = useLoad(() => api.get<Page<ApiKey>>('/api/v1/apikeys', { limit: 200 }), []);
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState(false);
  async function create(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const scopes = SCOPES.filter((s) => (form.elements.namedItem(`scope-${s}`) as HTMLInputElement).checked);
    setError(null);
    setCopied(false);
    try {
      const r = await request<ApiKey>('POST', '/api/v1/apikeys', { name: v.name.trim(), scopes });
      setCreated(r.data);
      form.reset();
      await keys.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function revoke(k: ApiKey) {
    if (!window.confirm(t('integrations.revokeConfirm', { name: k.name }))) return;
    setError(null);
    try {
      await request('DELETE', `/api/v1/apikeys/${encodeURIComponent(k.id)}`);
      if (created?.id === k.id) setCreated(null);
      await keys.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div class="card stack" data-testid="api-keys">
      <h2>{t('integrations.keys')}</h2>
      <p class="muted small">{t('integrations.keysHint')}</p>
      {created?.key && (
        <div class="notice ok new-key" data-testid="new-key">
          <div>{t('integrations.newKey')}</div>
          <code class="key" data-testid="new-key-value">
            {created.key}
          </code>
          <button
            type="button"
            onClick={() => {
              void navigator.clipboard?.writeText(created.key!).then(() => setCopied(true));
            }}
          >
            {copied ? t('common.copied') : t('common.copy')}
          </button>
        </div>
      )}
      <form class="row wrap" onSubmit={create} data-testid="key-form">
        <label class="grow">
          {t('integrations.keyName')}
          <input name="name" required placeholder="Toko online" data-testid="key-name" />
        </label>
        <fieldset class="scopes">
          <legend>{t('integrations.scopes')}</legend>
          {SCOPES.map((s) => (
            <label class="check" key={s}>
              <input type="checkbox" name={`scope-${s}`} checked /> <code>{s}</code>
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary align-end" data-testid="key-create">
          {t('integrations.create')}
        </button>
      </form>
      <ErrorBox error={error || keys.error} />
      {!keys.data && <Loading />}
      {keys.data && keys.data.items.length === 0 && <p class="muted">{t('integrations.noKeys')}</p>}
      {keys.data && keys.data.items.length > 0 && (
        <div class="table-wrap">
          <table class="table" data-testid="keys-table">
            <thead>
              <tr>
                <th>{t('integrations.keyName')}</th>
                <th>{t('integrations.prefix')}</th>
                <th>{t('integrations.scopes')}</th>
                <th>{t('integrations.createdAt')}</th>
                <th>{t('integrations.state')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr key={k.id} data-testid="key-row" data-name={k.name}>
                  <td>{k.name}</td>
                  <td class="mono">{k.prefix}…</td>
                  <td>
                    {k.scopes.map((s) => (
                      <code key={s} class="scope">
                        {s}
                      </code>
                    ))}
                  </td>
                  <td class="nowrap">{dateTime(k.created_at)}</td>
                  <td>{k.revoked ? <span class="badge">{t('integrations.revoked')}</span> : <span class="badge ok">{t('integrations.active')}</span>}</td>
                  <td>
                    {!k.revoked && (
                      <button type="button" class="danger small" onClick={() => void revoke(k)} data-testid="key-revoke">
                        {t('integrations.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- OpenAPI

type Json = Record<string, unknown>;
interface Param {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Json;
}
interface Operation {
  method: string;
  path: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters: Param[];
  body?: Json;
  responses: [string, string][];
}

function deref(doc: Json, v: unknown): Json {
  let cur = v as Json;
  for (let i = 0; i < 8 && cur && typeof cur.$ref === 'string'; i++) {
    const parts = (cur.$ref as string).replace(/^#\//, '').split('/');
    let x: unknown = doc;
    for (const p of parts) x = (x as Json | undefined)?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
    cur = (x as Json) ?? {};
  }
  return cur ?? {};
}

function typeOf(doc: Json, schema: unknown): string {
  const s = deref(doc, schema);
  if (!s || Object.keys(s).length === 0) return '';
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map(String).join(' | ');
  if (s.type === 'array') return `${typeOf(doc, s.items)}[]`;
  const ref = (schema as Json | undefined)?.$ref;
  if (typeof ref === 'string') return ref.split('/').pop() ?? 'object';
  return String(s.type ?? (s.properties ? 'object' : ''));
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

export function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(paths)) {
    const shared = ((item.parameters as unknown[]) ?? []).map((p) => deref(doc, p) as unknown as Param);
    for (const m of METHODS) {
      const op = item[m] as Json | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as unknown[]) ?? []).map((p) => deref(doc, p) as unknown as Param)];
      const rb = op.requestBody ? deref(doc, op.requestBody) : undefined;
      const content = rb?.content as Record<string, Json> | undefined;
      const body = content ? deref(doc, (content['application/json'] ?? Object.values(content)[0])?.schema) : undefined;
      const responses = Object.entries((op.responses ?? {}) as Record<string, unknown>).map(
        ([code, r]) => [code, String(deref(doc, r).description ?? '')] as [string, string],
      );
      out.push({
        method: m.toUpperCase(),
        path,
        summary: op.summary as string | undefined,
        description: op.description as string | undefined,
        tags: op.tags as string[] | undefined,
        parameters: params,
        body,
        responses,
      });
    }
  }
  return out;
}

function group(op: Operation): string {
  if (op.tags?.length) return op.tags[0];
  const seg = op.path.replace(/^\/api\/v1\//, '').split('/')[0];
  return seg || op.path;
}

function BodySchema(props: { doc: Json; schema: Json }) {
  const props_ = (props.schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((props.schema.required as string[]) ?? []);
  const names = Object.keys(props_);
  if (names.length === 0) return <code>{typeOf(props.doc, props.schema) || 'object'}</code>;
  return (
    <ul class="schema">
      {names.map((n) => (
        <li key={n}>
          <code>{n}</code> <span class="muted">{typeOf(props.doc, props_[n])}</span>
          {required.has(n) && <span class="badge small">{t('integrations.required')}</span>}
          {typeof deref(props.doc, props_[n]).description === 'string' && <span class="small"> — {String(deref(props.doc, props_[n]).description)}</span>}
        </li>
      ))}
    </ul>
  );
}

function OpenApiDocs() {
  const doc = useLoad(() => api.get<Json>('/api/v1/openapi.json'), []);
  if (!doc.data) return doc.error ? <Notice kind="error">{t('integrations.docsError')}</Notice> : <Loading />;
  const d = doc.data;
  const ops = operations(d);
  const groups = new Map<string, Operation[]>();
  for (const op of ops) {
    const g = group(op);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(op);
  }
  const info = (d.info ?? {}) as Json;
  return (
    <div class="card stack" data-testid="openapi-docs">
      <h2>{t('integrations.docs')}</h2>
      <p class="muted small">
        {String(info.title ?? '')} {info.version ? `v${String(info.version)}` : ''} ·{' '}
        <a href="/api/v1/openapi.json" download="openapi.json">
          {t('integrations.download')}
        </a>
      </p>
      {ops.length === 0 && <p class="muted">{t('integrations.docsEmpty')}</p>}
      {[...groups.entries()].map(([g, list]) => (
        <div key={g} class="api-group">
          <h3>{g}</h3>
          {list.map((op) => (
            <details key={`${op.method} ${op.path}`} class="endpoint" data-testid="endpoint">
              <summary>
                <span class={`method m-${op.method.toLowerCase()}`}>{op.method}</span> <code class="path">{op.path}</code>{' '}
                <span class="muted">{op.summary}</span>
              </summary>
              {op.description && <p class="small">{op.description}</p>}
              {op.parameters.length > 0 && (
                <table class="table small">
                  <thead>
                    <tr>
                      <th>{t('integrations.param')}</th>
                      <th>{t('integrations.paramIn')}</th>
                      <th />
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {op.parameters.map((p) => (
                      <tr key={`${p.in}:${p.name}`}>
                        <td>
                          <code>{p.name}</code> {p.required && <span class="badge small">{t('integrations.required')}</span>}
                        </td>
                        <td>{p.in}</td>
                        <td class="muted">{typeOf(d, p.schema)}</td>
                        <td>{p.description}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {op.body && (
                <div>
                  <strong class="small">{t('integrations.body')}</strong>
                  <BodySchema doc={d} schema={op.body} />
                </div>
              )}
              {op.responses.length > 0 && (
                <div class="small">
                  <strong>{t('integrations.responses')}</strong>{' '}
                  {op.responses.map(([code, desc]) => (
                    <span key={code} class="resp">
                      <code>{code}</code> {desc}
                    </span>
                  ))}
                </div>
              )}
            </details>
          ))}
        </div>
      ))}
    </div>
  );
}

export function IntegrationsPage() {
  return (
    <section class="page" data-testid="page-integrations">
      <PageHeader title={t('integrations.title')} />
      <Keys />
      <OpenApiDocs />
    </section>
  );
}
