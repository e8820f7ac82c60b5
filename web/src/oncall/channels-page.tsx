import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useSession } from '../app/session.tsx';
import { Badge, ConfirmButton, ListTable, Notice, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { CHANNEL_KINDS, pagingApi, type ChannelInput, type ChannelKind, type NotificationChannel } from './paging.api.ts';
import { EditableListTop, KindIcon, errorAt, errorPaths, useKindLabel } from './paging-ui.tsx';

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** Where a channel sends, without secrets: the SMTP host, or the host of a webhook or gateway URL. */
function destination(c: NotificationChannel): string {
  const cfg = c.config;
  if (c.kind === 'email') return `${str(cfg['host'])}:${str(cfg['port']) || '587'} · ${str(cfg['from'])}`;
  try {
    return new URL(str(cfg['url'])).host;
  } catch {
    return '';
  }
}

/** Notification channels: how pages leave Skjold. Secret fields are write-only; the list only says which are set. */
export function ChannelsPage() {
  const { t } = useI18n();
  const kindLabel = useKindLabel();
  const session = useSession();
  const canWrite = session.can('oncall.channels.write');
  const [items, setItems] = useState<NotificationChannel[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<NotificationChannel | 'new' | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await pagingApi.channels()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const remove = async (c: NotificationChannel) => {
    setError(null);
    setNotice(null);
    try {
      await pagingApi.deleteChannel(c.id);
      setNotice(t('paging.channel.deleted', { name: c.name }));
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const saved = (c: NotificationChannel, created: boolean) => {
    setEditing(null);
    setNotice(t(created ? 'paging.channel.created' : 'paging.channel.saved', { name: c.name }));
    void load();
  };

  return (
    <>
      <EditableListTop
        title={t('paging.channels.title')}
        intro={t('paging.channels.intro')}
        newLabel={t('paging.channel.new')}
        canWrite={canWrite}
        creating={editing === 'new'}
        onToggleNew={() => setEditing((e) => (e === 'new' ? null : 'new'))}
        notice={notice}
        noticeTestId="channel-notice"
        onDismissNotice={() => setNotice(null)}
        error={error}
        onDismissError={() => setError(null)}
      />
      {editing === 'new' ? <ChannelForm onCancel={() => setEditing(null)} onSaved={(c) => saved(c, true)} /> : null}
      {editing && editing !== 'new' ? (
        <ChannelForm key={editing.id} channel={editing} onCancel={() => setEditing(null)} onSaved={(c) => saved(c, false)} />
      ) : null}
      {items ? (
        <ListTable
          testId="channels-table"
          columns={[
            t('paging.channel.col.kind'),
            t('paging.channel.col.name'),
            t('paging.channel.col.destination'),
            t('paging.channel.col.state'),
            t('paging.channel.col.secrets'),
            ...(canWrite ? [<span className="sr-only">{t('paging.channel.col.actions')}</span>] : []),
          ]}
          empty={t('paging.channels.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((c) => (
            <tr key={c.id} data-channel={c.name}>
              <td className="nowrap">
                <span className="kind-label">
                  <KindIcon kind={c.kind} />
                  {kindLabel(c.kind)}
                </span>
              </td>
              <td className="strong">{c.name}</td>
              <td className="mono small wrap">
                {destination(c) || (
                  <span className="muted">{c.kind === 'slack' || c.kind === 'teams' ? t('paging.channel.secretUrl') : '—'}</span>
                )}
              </td>
              <td>
                <span className="chips">
                  {c.enabled ? (
                    <Badge tone="ok">{t('paging.channel.enabled')}</Badge>
                  ) : (
                    <Badge tone="neutral">{t('paging.channel.disabled')}</Badge>
                  )}
                  {c.forUsers ? <Badge tone="info">{t('paging.channel.forUsers')}</Badge> : null}
                </span>
              </td>
              <td>
                {c.secretsSet.length === 0 ? (
                  <span className="muted">—</span>
                ) : (
                  <ul className="chips" aria-label={t('paging.channel.col.secrets')}>
                    {c.secretsSet.map((s) => (
                      <li key={s} className="chip chip-secret">
                        {s} ✓
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              {canWrite ? (
                <td className="actions">
                  <button type="button" className="btn btn-small" onClick={() => setEditing(c)}>
                    {t('common.edit')}
                  </button>
                  <ConfirmButton
                    label={t('paging.channel.delete')}
                    question={t('paging.channel.confirmDelete', { name: c.name })}
                    onConfirm={() => void remove(c)}
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </ListTable>
      ) : !error ? (
        <p className="muted">{t('app.loading')}</p>
      ) : null}
    </>
  );
}

/** "Name: value" lines ⇄ a record (SMS headers, credentials). */
function parseLines(text: string, sep: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(sep);
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

const DEFAULT_SMS_BODY = '{\n  "to": "{to}",\n  "text": "{message}",\n  "from": "{from}"\n}';

function ChannelForm(props: { channel?: NotificationChannel; onSaved: (c: NotificationChannel) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const kindLabel = useKindLabel();
  const c = props.channel;
  const cfg = c?.config ?? {};
  const secretSet = (path: string) => c?.secretsSet.includes(path) ?? false;
  const [kind, setKind] = useState<ChannelKind>((c?.kind as ChannelKind | undefined) ?? 'webhook');
  const [name, setName] = useState(c?.name ?? '');
  const [enabled, setEnabled] = useState(c?.enabled ?? true);
  const [forUsers, setForUsers] = useState(c?.forUsers ?? false);
  const [f, setF] = useState<Record<string, string>>({
    host: str(cfg['host']),
    port: str(cfg['port']) || '587',
    from: str(cfg['from']),
    user: str((cfg['auth'] as Record<string, unknown> | undefined)?.['user']),
    password: '',
    url: str(cfg['url']),
    secret: '',
    method: str(cfg['method']) || 'POST',
    format: str(cfg['format']) || 'json',
    body: cfg['body'] ? JSON.stringify(cfg['body'], null, 2) : DEFAULT_SMS_BODY,
    headers: '',
    credentials: '',
    ca: str(cfg['ca']),
  });
  const [flags, setFlags] = useState({
    secure: cfg['secure'] === true,
    requireTLS: cfg['requireTLS'] === true,
    tlsRejectUnauthorized: cfg['tlsRejectUnauthorized'] !== false,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [bodyError, setBodyError] = useState<string | null>(null);
  const set = (k: string) => (e: { target: { value: string } }) => setF((x) => ({ ...x, [k]: e.target.value }));
  const keepHint = t('paging.secret.keep');
  const secretProps = (path: string) =>
    c && c.kind === kind && secretSet(path) ? { placeholder: keepHint } : { required: true as const };
  const err = (path: string) => errorAt(error, `config.${path}`);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBodyError(null);
    const config: Record<string, unknown> = { kind };
    const ca = f['ca']?.trim();
    if (ca) config['ca'] = ca;
    if (kind === 'email') {
      Object.assign(config, { host: f['host']?.trim(), port: Number(f['port']), from: f['from']?.trim(), ...flags });
      if (f['user']?.trim()) config['auth'] = { user: f['user'].trim(), ...(f['password'] ? { password: f['password'] } : {}) };
    } else if (kind === 'webhook') {
      config['url'] = f['url']?.trim();
      if (f['secret']) config['secret'] = f['secret'];
    } else if (kind === 'slack' || kind === 'teams') {
      if (f['url']?.trim()) config['url'] = f['url'].trim();
    } else {
      let body: unknown;
      try {
        body = JSON.parse(f['body'] ?? '');
      } catch {
        setBodyError(t('paging.channel.sms.bodyInvalid'));
        return;
      }
      Object.assign(config, { url: f['url']?.trim(), method: f['method'], format: f['format'], body });
      if (f['from']?.trim()) config['from'] = f['from'].trim();
      if (f['headers']?.trim()) config['headers'] = parseLines(f['headers'], ':');
      if (f['credentials']?.trim()) config['credentials'] = parseLines(f['credentials'], '=');
    }
    const input: ChannelInput = { name: name.trim(), enabled, forUsers, config };
    setBusy(true);
    try {
      props.onSaved(c ? await pagingApi.updateChannel(c.id, input) : await pagingApi.createChannel(input));
    } catch (er) {
      setError(er);
    } finally {
      setBusy(false);
    }
  };

  const check = (label: string, k: keyof typeof flags, hint?: string): ReactNode => (
    <label className="check">
      <input type="checkbox" checked={flags[k]} onChange={(e) => setFlags((x) => ({ ...x, [k]: e.target.checked }))} />
      {label}
      {hint ? <span className="muted small">{hint}</span> : null}
    </label>
  );

  return (
    <form className="panel form-stack" onSubmit={(e) => void submit(e)} data-testid="channel-form">
      <h2>{c ? t('paging.channel.edit', { name: c.name }) : t('paging.channel.new')}</h2>
      <ProblemAlert error={error} claimed={errorPaths(error)} />
      <div className="form-grid">
        <SelectField label={t('paging.channel.kind')} value={kind} onChange={(e) => setKind(e.target.value as ChannelKind)}>
          {CHANNEL_KINDS.map((k) => (
            <option key={k} value={k}>
              {kindLabel(k)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('paging.channel.name')}
          value={name}
          required
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          error={errorAt(error, 'name')}
        />
      </div>
      {c && c.kind !== kind ? <Notice tone="warn">{t('paging.channel.kindChange')}</Notice> : null}
      <div className="form-grid" data-kind={kind}>
        {kind === 'email' ? (
          <>
            <TextField
              label={t('paging.channel.email.host')}
              value={f['host']}
              required
              onChange={set('host')}
              error={err('host')}
            />
            <TextField
              label={t('paging.channel.email.port')}
              type="number"
              min={1}
              max={65535}
              value={f['port']}
              onChange={set('port')}
              error={err('port')}
            />
            <TextField
              label={t('paging.channel.email.from')}
              type="email"
              value={f['from']}
              required
              onChange={set('from')}
              error={err('from')}
            />
            <TextField
              label={t('paging.channel.email.user')}
              value={f['user']}
              optional
              onChange={set('user')}
              error={err('auth.user')}
            />
            <TextField
              label={t('paging.channel.email.password')}
              type="password"
              autoComplete="new-password"
              value={f['password']}
              onChange={set('password')}
              {...(secretSet('auth.password') ? { placeholder: keepHint } : {})}
              error={err('auth.password') ?? err('auth')}
            />
            <div className="field span-all checks">
              {check(t('paging.channel.email.secure'), 'secure')}
              {check(t('paging.channel.email.requireTLS'), 'requireTLS')}
              {check(t('paging.channel.email.verify'), 'tlsRejectUnauthorized')}
              {err('requireTLS') ? <span className="field-error">{err('requireTLS')}</span> : null}
            </div>
          </>
        ) : null}
        {kind === 'webhook' ? (
          <>
            <TextField
              label={t('paging.channel.url')}
              type="url"
              className="span-2"
              value={f['url']}
              required
              onChange={set('url')}
              error={err('url')}
            />
            <TextField
              label={t('paging.channel.webhook.secret')}
              type="password"
              autoComplete="new-password"
              hint={t('paging.channel.webhook.secretHint')}
              value={f['secret']}
              onChange={set('secret')}
              {...secretProps('secret')}
              error={err('secret')}
            />
          </>
        ) : null}
        {kind === 'slack' || kind === 'teams' ? (
          <TextField
            label={t('paging.channel.url')}
            type="password"
            autoComplete="off"
            className="span-2"
            hint={t('paging.channel.urlSecretHint')}
            value={f['url']}
            onChange={set('url')}
            {...secretProps('url')}
            error={err('url')}
          />
        ) : null}
        {kind === 'sms' ? (
          <>
            <TextField
              label={t('paging.channel.sms.url')}
              type="url"
              className="span-2"
              value={f['url']}
              required
              onChange={set('url')}
              error={err('url')}
            />
            <SelectField
              label={t('paging.channel.sms.method')}
              value={f['method']}
              onChange={set('method')}
              error={err('method')}
            >
              {['POST', 'PUT', 'GET'].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </SelectField>
            <SelectField
              label={t('paging.channel.sms.format')}
              value={f['format']}
              onChange={set('format')}
              error={err('format')}
            >
              <option value="json">JSON</option>
              <option value="form">{t('paging.channel.sms.form')}</option>
            </SelectField>
            <TextField
              label={t('paging.channel.sms.from')}
              value={f['from']}
              optional
              maxLength={16}
              onChange={set('from')}
              error={err('from')}
            />
            <TextArea
              label={t('paging.channel.sms.body')}
              hint={t('paging.channel.sms.bodyHint')}
              value={f['body'] ?? ''}
              onChange={set('body')}
              error={bodyError ?? err('body')}
              mono
            />
            <TextArea
              label={t('paging.channel.sms.headers')}
              hint={t('paging.channel.sms.headersHint')}
              value={f['headers'] ?? ''}
              onChange={set('headers')}
              placeholder={secretSet('headers') ? keepHint : 'Authorization: Bearer …'}
              error={err('headers')}
              mono
            />
            <TextArea
              label={t('paging.channel.sms.credentials')}
              hint={t('paging.channel.sms.credentialsHint')}
              value={f['credentials'] ?? ''}
              onChange={set('credentials')}
              placeholder={secretSet('credentials') ? keepHint : 'api_key=…'}
              error={err('credentials')}
              mono
            />
          </>
        ) : null}
        <TextArea
          label={t('paging.channel.ca')}
          hint={t('paging.channel.caHint')}
          value={f['ca'] ?? ''}
          onChange={set('ca')}
          error={err('ca')}
          placeholder="-----BEGIN CERTIFICATE-----"
          mono
          optional
        />
      </div>
      <div className="checks">
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          {t('paging.channel.enabledLabel')}
        </label>
        <label className="check">
          <input type="checkbox" checked={forUsers} onChange={(e) => setForUsers(e.target.checked)} />
          {t('paging.channel.forUsersLabel')}
        </label>
      </div>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {c ? t('common.save') : t('paging.channel.create')}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

function TextArea(props: {
  label: string;
  value: string;
  onChange: (e: { target: { value: string } }) => void;
  hint?: string;
  error?: string | null | undefined;
  placeholder?: string;
  mono?: boolean;
  optional?: boolean;
}) {
  const { t } = useI18n();
  const id = `ta-${props.label.replace(/\W+/g, '-').toLowerCase()}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field span-2${props.error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>
        {props.label}
        {props.optional ? <span className="field-optional"> ({t('common.optional')})</span> : null}
      </label>
      <textarea
        id={id}
        rows={4}
        className={props.mono ? 'mono' : undefined}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={described}
        onChange={props.onChange}
      />
      {props.hint ? (
        <span className="field-hint" id={`${id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      {props.error ? (
        <span className="field-error" id={`${id}-error`}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}
