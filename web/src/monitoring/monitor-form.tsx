import { useEffect, useState, type FormEvent } from 'react';
import { CopyButton, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../app/ui.tsx';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { MONITOR_TYPES, monitoringApi, type CreatedMonitor, type MonitorType } from './monitoring.api.ts';

type Values = Record<string, string | boolean>;
type FieldKind = 'text' | 'number' | 'check' | { options: readonly string[] };
interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** Comma-separated list sent as an array. */
  list?: boolean;
  optional?: boolean;
}

const COMMON: FieldSpec[] = [
  { name: 'intervalSeconds', kind: 'number' },
  { name: 'timeoutSeconds', kind: 'number' },
  { name: 'failureThreshold', kind: 'number' },
  { name: 'successThreshold', kind: 'number' },
  { name: 'severity', kind: { options: ['critical', 'major', 'minor', 'info'] } },
  { name: 'publicComponent', kind: 'text', optional: true },
];
const hostPort: FieldSpec[] = [
  { name: 'host', kind: 'text' },
  { name: 'port', kind: 'number' },
];
const banner: FieldSpec[] = [
  { name: 'host', kind: 'text' },
  { name: 'port', kind: 'number', optional: true },
  { name: 'tls', kind: 'check' },
  { name: 'expect', kind: 'text', optional: true },
];

/** The fields each type asks for, in form order. */
const FIELDS: Record<MonitorType, FieldSpec[]> = {
  http: [
    { name: 'url', kind: 'text' },
    { name: 'method', kind: { options: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] } },
    { name: 'expectedStatus', kind: 'text', list: true },
    { name: 'keyword', kind: 'text', optional: true },
    { name: 'keywordAbsent', kind: 'check' },
    { name: 'maxResponseMs', kind: 'number', optional: true },
    { name: 'followRedirects', kind: 'check' },
    { name: 'maxRedirects', kind: 'number' },
    { name: 'certExpiryDays', kind: 'number' },
    { name: 'tlsVerify', kind: 'check' },
  ],
  tcp: hostPort,
  dns: [
    { name: 'query', kind: 'text' },
    { name: 'recordType', kind: { options: ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'PTR', 'SRV', 'CAA'] } },
    { name: 'expected', kind: 'text', list: true, optional: true },
    { name: 'resolver', kind: 'text', optional: true },
  ],
  tls: [
    ...hostPort,
    { name: 'servername', kind: 'text', optional: true },
    { name: 'starttls', kind: { options: ['', 'smtp', 'imap', 'pop3'] } },
    { name: 'certExpiryDays', kind: 'number' },
    { name: 'checkChain', kind: 'check' },
    { name: 'checkHostname', kind: 'check' },
  ],
  smtp: banner,
  imap: banner,
  pop3: banner,
  heartbeat: [{ name: 'graceSeconds', kind: 'number' }],
};

const DEFAULTS: Values = {
  name: '',
  intervalSeconds: '60',
  timeoutSeconds: '10',
  failureThreshold: '2',
  successThreshold: '2',
  severity: 'major',
  method: 'GET',
  expectedStatus: '200-399',
  followRedirects: true,
  maxRedirects: '5',
  certExpiryDays: '14',
  tlsVerify: true,
  recordType: 'A',
  starttls: '',
  checkChain: true,
  checkHostname: true,
  tls: false,
  keywordAbsent: false,
  graceSeconds: '60',
};

/** Form values → a definition for the API (empty optional fields left out; the server validates everything). */
function toDefinition(type: MonitorType, v: Values): Record<string, unknown> {
  const out: Record<string, unknown> = { type, name: v['name'] };
  for (const f of [...COMMON, ...FIELDS[type]]) {
    const raw = v[f.name];
    if (f.name === 'keyword' || f.name === 'keywordAbsent') continue;
    // An emptied status-page component is sent as null, so that an edit takes the monitor off the status page.
    if (f.name === 'publicComponent') out[f.name] = typeof raw === 'string' && raw.trim() ? raw.trim() : null;
    else if (f.kind === 'check') out[f.name] = raw === true;
    else if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) continue;
    else if (f.list)
      out[f.name] = String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (f.name === 'expectedStatus' && /^\d+$/.test(s) ? Number(s) : s));
    else if (f.kind === 'number') out[f.name] = Number(raw);
    else out[f.name] = raw;
  }
  if (type === 'http' && typeof v['keyword'] === 'string' && v['keyword'].trim())
    out['keyword'] = { text: v['keyword'], absent: v['keywordAbsent'] === true };
  return out;
}

/** A stored definition → form values. */
function toValues(def: Record<string, unknown>): Values {
  const v: Values = { ...DEFAULTS };
  for (const [k, val] of Object.entries(def)) {
    if (typeof val === 'boolean') v[k] = val;
    else if (Array.isArray(val)) v[k] = val.join(', ');
    else if (typeof val === 'string' || typeof val === 'number') v[k] = String(val);
  }
  const kw = def['keyword'] as { text?: string; absent?: boolean } | undefined;
  if (kw) {
    v['keyword'] = kw.text ?? '';
    v['keywordAbsent'] = kw.absent === true;
  }
  return v;
}

/** Create a monitor, or edit one (`id`): common fields, then the chosen type's own. */
export function MonitorForm({ id, onDone }: { id?: string; onDone: (id?: string) => void }) {
  const { t } = useI18n();
  const [type, setType] = useState<MonitorType>('http');
  const [values, setValues] = useState<Values>(DEFAULTS);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedMonitor | null>(null);

  useEffect(() => {
    if (!id) return;
    monitoringApi.get(id).then(
      (m) => {
        setType(m.type);
        setValues(toValues(m.definition));
      },
      (err: unknown) => setError(err),
    );
  }, [id]);

  const set = (name: string, value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const def = toDefinition(type, values);
      if (id) {
        const patch: Record<string, unknown> = { ...def };
        delete patch['type'];
        await monitoringApi.update(id, patch);
        onDone(id);
      } else {
        const m = await monitoringApi.create(def);
        if (m.heartbeatUrl) setCreated(m);
        else onDone(m.id);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (created?.heartbeatUrl) {
    const url = `${window.location.origin}${created.heartbeatUrl}`;
    return (
      <section className="panel panel-warn" data-testid="heartbeat-created">
        <h2 className="warn-heading">{t('monitors.heartbeatTitle')}</h2>
        <p>{t('monitors.heartbeatWarning')}</p>
        <div className="secret-line">
          <code className="secret">{url}</code>
          <CopyButton text={url} />
        </div>
        <button type="button" className="btn btn-primary" onClick={() => onDone(created.id)}>
          {t('tokens.createdDone')}
        </button>
      </section>
    );
  }

  const field = (f: FieldSpec) => {
    const label = t(`monitors.field.${f.name}` as MessageKey);
    const err = fieldError(error, f.name);
    if (f.kind === 'check') {
      return (
        <label key={f.name} className="check">
          <input type="checkbox" checked={values[f.name] === true} onChange={(e) => set(f.name, e.target.checked)} /> {label}
        </label>
      );
    }
    if (typeof f.kind === 'object') {
      return (
        <SelectField
          key={f.name}
          label={label}
          value={String(values[f.name] ?? '')}
          onChange={(e) => set(f.name, e.target.value)}
          error={err}
        >
          {f.kind.options.map((o) => (
            <option key={o} value={o}>
              {o || t('monitors.none')}
            </option>
          ))}
        </SelectField>
      );
    }
    return (
      <TextField
        key={f.name}
        label={label}
        optional={f.optional}
        inputMode={f.kind === 'number' ? 'numeric' : undefined}
        value={String(values[f.name] ?? '')}
        onChange={(e) => set(f.name, e.target.value)}
        error={err}
      />
    );
  };

  return (
    <>
      <PageHeader title={id ? t('monitors.editTitle') : t('monitors.newTitle')} />
      <form className="monitor-form panel" onSubmit={(e) => void submit(e)} noValidate>
        <ProblemAlert error={error} claimed={[...COMMON, ...FIELDS[type]].map((f) => f.name).concat('name')} />
        <div className="form-grid">
          <SelectField
            label={t('monitors.col.type')}
            value={type}
            disabled={Boolean(id)}
            onChange={(e) => setType(e.target.value as MonitorType)}
          >
            {MONITOR_TYPES.map((ty) => (
              <option key={ty} value={ty}>
                {t(`monitors.type.${ty}`)}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('monitors.col.name')}
            value={String(values['name'])}
            onChange={(e) => set('name', e.target.value)}
            error={fieldError(error, 'name')}
            required
          />
        </div>
        <fieldset>
          <legend>{t(`monitors.type.${type}`)}</legend>
          <div className="form-grid">{FIELDS[type].map(field)}</div>
        </fieldset>
        <fieldset>
          <legend>{t('monitors.schedule')}</legend>
          <div className="form-grid">{COMMON.map(field)}</div>
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? t('common.working') : id ? t('common.save') : t('monitors.create')}
          </button>
          <button type="button" className="btn" onClick={() => onDone(id)}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </>
  );
}
