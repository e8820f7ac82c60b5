import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSession } from '../app/session.tsx';
import {
  Badge,
  ConfirmButton,
  CopyButton,
  Notice,
  PageHeader,
  ProblemAlert,
  TextField,
  fieldError,
  ListTable,
} from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { identityApi, type CreatedToken, type Token } from './identity.api.ts';

type TokenStatus = 'active' | 'revoked' | 'expired';

function statusOf(tok: Token, now: number): TokenStatus {
  if (tok.revokedAt) return 'revoked';
  if (tok.expiresAt && Date.parse(tok.expiresAt) <= now) return 'expired';
  return 'active';
}

/** API tokens: list, create (the secret is shown once), revoke. */
export function TokensPage() {
  const { t, plural, dateTime } = useI18n();
  const session = useSession();
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const canCreate = session.can('tokens.create');
  const canReadAll = session.can('tokens.read');
  const myId = session.me.user.id;
  // Everyone may revoke their own tokens; tokens.revoke allows revoking anyone's.
  const canRevoke = (tok: Token) => tok.userId === myId || session.can('tokens.revoke');
  const [all, setAll] = useState(canReadAll);

  const load = useCallback(async () => {
    try {
      const res = await identityApi.tokens(all);
      setTokens(res.items);
      setLoadError(null);
    } catch (err) {
      setLoadError(err);
    }
  }, [all]);
  useEffect(() => void load(), [load]);

  const revoke = async (tok: Token) => {
    setActionError(null);
    setNotice(null);
    try {
      await identityApi.revokeToken(tok.id);
      setNotice(t('tokens.revoked', { name: tok.name }));
      await load();
    } catch (err) {
      setActionError(err);
    }
  };

  const now = Date.now();
  return (
    <>
      <PageHeader title={t('tokens.title')}>
        {canReadAll ? (
          <label className="check">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
            {t('tokens.allUsers')}
          </label>
        ) : null}
        {tokens ? <span className="muted">{plural('tokens.count', tokens.length)}</span> : null}
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
        {canCreate ? (
          <button type="button" className="btn btn-primary" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            {t('tokens.new')}
          </button>
        ) : null}
      </PageHeader>
      {created ? (
        <section className="panel panel-warn" aria-labelledby="token-created-title" data-testid="token-created">
          <h2 id="token-created-title" className="warn-heading">
            {t('tokens.createdTitle')}
          </h2>
          <p>{t('tokens.createdWarning', { name: created.name })}</p>
          <div className="secret-line">
            <code className="secret" data-testid="token-secret">
              {created.token}
            </code>
            <CopyButton text={created.token} />
          </div>
          <button type="button" className="btn btn-primary" onClick={() => setCreated(null)}>
            {t('tokens.createdDone')}
          </button>
        </section>
      ) : null}
      {creating && !created ? (
        <CreateTokenForm
          permissions={session.me.permissions}
          onCancel={() => setCreating(false)}
          onCreated={(tok) => {
            setCreating(false);
            setCreated(tok);
            void load();
          }}
        />
      ) : null}
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={actionError} onDismiss={() => setActionError(null)} />
      <ProblemAlert error={loadError} />
      {tokens === null && !loadError ? <p className="muted">{t('app.loading')}</p> : null}
      {tokens ? (
        <ListTable
          testId="tokens-table"
          columns={[
            t('tokens.col.name'),
            ...(all ? [t('tokens.col.owner')] : []),
            t('tokens.col.scopes'),
            t('tokens.col.created'),
            t('tokens.col.expires'),
            t('tokens.col.lastUsed'),
            t('tokens.col.status'),
            t('tokens.col.actions'),
          ]}
          empty={t('tokens.empty')}
          isEmpty={tokens.length === 0}
        >
          {tokens.map((tok) => {
            const st = statusOf(tok, now);
            return (
              <tr key={tok.id} className={st === 'active' ? undefined : 'row-muted'}>
                <td className="strong">{tok.name}</td>
                {all ? <td>{tok.username}</td> : null}
                <td>
                  <ul className="scope-list">
                    {tok.scopes.map((s) => (
                      <li key={s}>
                        <code>{s}</code>
                      </li>
                    ))}
                  </ul>
                </td>
                <td className="nowrap">{dateTime(tok.createdAt, false)}</td>
                <td className="nowrap">
                  {tok.expiresAt ? dateTime(tok.expiresAt, false) : <span className="muted">{t('tokens.noExpiry')}</span>}
                </td>
                <td className="nowrap">
                  {tok.lastUsedAt ? dateTime(tok.lastUsedAt, false) : <span className="muted">{t('common.never')}</span>}
                </td>
                <td>
                  <Badge tone={st === 'active' ? 'ok' : st === 'revoked' ? 'bad' : 'neutral'}>{t(`tokens.status.${st}`)}</Badge>
                </td>
                <td className="actions">
                  {st === 'active' && canRevoke(tok) ? (
                    <ConfirmButton
                      label={t('tokens.revoke')}
                      question={t('tokens.confirmRevoke', { name: tok.name })}
                      onConfirm={() => void revoke(tok)}
                    />
                  ) : null}
                </td>
              </tr>
            );
          })}
        </ListTable>
      ) : null}
    </>
  );
}

function CreateTokenForm({
  permissions,
  onCreated,
  onCancel,
}: {
  permissions: string[];
  onCreated: (tok: CreatedToken) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<string>>(new Set());
  const [days, setDays] = useState('90');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [scopeError, setScopeError] = useState<string | undefined>(undefined);

  // Group `audit.read`, `audit.verify` … under `audit`.
  const groups = useMemo(() => {
    const m = new Map<string, string[]>();
    for (const p of [...permissions].sort()) {
      const g = p.split('.')[0] ?? p;
      m.set(g, [...(m.get(g) ?? []), p]);
    }
    return [...m.entries()];
  }, [permissions]);

  const toggle = (p: string, on: boolean) =>
    setScopes((s) => {
      const next = new Set(s);
      if (on) next.add(p);
      else next.delete(p);
      return next;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (scopes.size === 0) {
      setScopeError(t('tokens.noScopes'));
      return;
    }
    setScopeError(undefined);
    setBusy(true);
    setError(null);
    try {
      const n = Number(days);
      const tok = await identityApi.createToken({
        name: name.trim(),
        scopes: [...scopes].sort(),
        ...(days.trim() && Number.isFinite(n) ? { expiresInDays: n } : {}),
      });
      onCreated(tok);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const scopesErr = scopeError ?? fieldError(error, 'scopes');
  return (
    <section className="panel" aria-labelledby="new-token-title">
      <h2 id="new-token-title">{t('tokens.new')}</h2>
      <ProblemAlert error={error} claimed={['name', 'scopes', 'expiresInDays']} />
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-grid">
          <TextField
            label={t('tokens.name')}
            name="name"
            autoFocus
            required
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.target.value)}
            hint={t('tokens.nameHint')}
            error={fieldError(error, 'name')}
          />
          <TextField
            label={t('tokens.expires')}
            name="expiresInDays"
            type="number"
            min={1}
            max={3650}
            inputMode="numeric"
            optional
            value={days}
            onChange={(e) => setDays(e.target.value)}
            hint={t('tokens.expiresHint')}
            error={fieldError(error, 'expiresInDays')}
          />
        </div>
        <fieldset className={`scopes${scopesErr ? ' field-invalid' : ''}`} aria-describedby="scopes-hint">
          <legend>{t('tokens.scopes')}</legend>
          <span className="field-hint" id="scopes-hint">
            {t('tokens.scopesHint')}
          </span>
          <div className="scope-groups">
            {groups.map(([group, perms]) => (
              <div key={group} className="scope-group">
                <span className="scope-group-name">{group}</span>
                {perms.map((p) => (
                  <label key={p} className="check">
                    <input
                      type="checkbox"
                      name="scopes"
                      value={p}
                      checked={scopes.has(p)}
                      onChange={(e) => toggle(p, e.target.checked)}
                    />
                    <code>{p}</code>
                  </label>
                ))}
              </div>
            ))}
          </div>
          {scopesErr ? <span className="field-error">{scopesErr}</span> : null}
        </fieldset>
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
            {busy ? t('common.working') : t('tokens.create')}
          </button>
          <button type="button" className="btn" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
