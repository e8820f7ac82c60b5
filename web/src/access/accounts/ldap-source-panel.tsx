import { useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { ApiError } from '../../app/api.ts';
import { useSession } from '../../app/session.tsx';
import { Badge, ConfirmButton, Notice, ProblemAlert, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { type ImportResult, type LdapSource, type LdapSourceInput, accountsApi } from './accounts.api.ts';
import { ImportResultView } from './import-result.tsx';

/** The form's fields, as typed (numbers and lists are strings until sent). */
interface Draft {
  url: string;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  filter: string;
  account: string;
  name: string;
  mail: string;
  memberOf: string;
  disabled: string;
  privilegedGroups: string;
  interval: string;
}

const EMPTY: Draft = {
  url: '',
  bindDn: '',
  bindPassword: '',
  baseDn: '',
  filter: '(objectClass=person)',
  account: 'sAMAccountName',
  name: 'displayName',
  mail: 'mail',
  memberOf: 'memberOf',
  disabled: '',
  privilegedGroups: '',
  interval: '',
};

const draftOf = (s: LdapSource): Draft => ({
  url: s.url,
  bindDn: s.bindDn,
  bindPassword: '',
  baseDn: s.baseDn,
  filter: s.filter,
  account: s.attributes.account,
  name: s.attributes.name,
  mail: s.attributes.mail,
  memberOf: s.attributes.memberOf,
  disabled: s.attributes.disabled ?? '',
  privilegedGroups: s.privilegedGroups.join('\n'),
  interval: s.intervalMinutes === null ? '' : String(s.intervalMinutes),
});

/** The body PUT sends: an empty password field keeps the stored one (the server allows leaving it out on a change). */
function inputOf(d: Draft): LdapSourceInput {
  return {
    url: d.url.trim(),
    bindDn: d.bindDn.trim(),
    ...(d.bindPassword ? { bindPassword: d.bindPassword } : {}),
    baseDn: d.baseDn.trim(),
    filter: d.filter.trim(),
    attributes: {
      account: d.account.trim(),
      name: d.name.trim(),
      mail: d.mail.trim(),
      memberOf: d.memberOf.trim(),
      ...(d.disabled.trim() ? { disabled: d.disabled.trim() } : {}),
    },
    privilegedGroups: d.privilegedGroups
      .split('\n')
      .map((g) => g.trim())
      .filter(Boolean),
    intervalMinutes: d.interval.trim() === '' ? null : Number(d.interval),
  };
}

/** What the last pull did, as the server remembered it: its counts or its error. */
type LastResult = { error: string } | { status: string; added: number; updated: number; unchanged: number; gone: number };

function LastPull({ source }: { source: LdapSource }) {
  const { t, dateTime } = useI18n();
  if (!source.lastPullAt) return <span className="muted">{t('access.accounts.ldap.neverPulled')}</span>;
  const r = source.lastResult as LastResult | null;
  return (
    <>
      <time dateTime={source.lastPullAt}>{dateTime(source.lastPullAt)}</time>
      {r && 'error' in r ? (
        <div className="ldap-last-error">
          <Badge tone="bad">{t('access.accounts.ldap.failed')}</Badge> {r.error}
        </div>
      ) : r ? (
        <div>
          {t('access.accounts.ldap.lastCounts', { added: r.added, updated: r.updated, unchanged: r.unchanged, gone: r.gone })}
        </div>
      ) : null}
    </>
  );
}

const CLAIMED = [
  'url',
  'bindDn',
  'bindPassword',
  'baseDn',
  'filter',
  'attributes.account',
  'attributes.name',
  'attributes.mail',
  'attributes.memberOf',
  'attributes.disabled',
  'intervalMinutes',
];

/**
 * A system's LDAP / Active Directory source: where its account list is pulled from, with which bind and filter, which
 * groups make an account privileged, and how often. The bind password is never shown (only whether one is set); left
 * empty on a change, the stored one stays. "Pull now" reads the directory at once and imports the list like an upload.
 */
export function LdapSourcePanel({ systemId, onPulled }: { systemId: string; onPulled: () => void }) {
  const { t } = useI18n();
  const session = useSession();
  const canWrite = session.can('access.write');
  const canPull = session.can('access.import');
  /** undefined while loading, null when the system has no source. */
  const [source, setSource] = useState<LdapSource | null | undefined>(undefined);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const { busy, error, setError, run, submit } = useAction();
  const [saved, setSaved] = useState(false);
  const [removed, setRemoved] = useState(false);
  const [pull, setPull] = useState<{ result?: ImportResult; error?: unknown } | null>(null);

  const load = useCallback(async () => {
    try {
      const s = await accountsApi.ldap(systemId);
      setSource(s);
      setDraft(draftOf(s));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        setSource(null);
        setDraft(EMPTY);
      } else setError(err);
    }
  }, [systemId]);
  useEffect(() => void load(), [load]);

  const field = (k: keyof Draft) => ({
    value: draft[k],
    onChange: (e: { target: { value: string } }) => {
      setDraft((d) => ({ ...d, [k]: e.target.value }));
      setSaved(false);
      setRemoved(false);
    },
  });

  const save = submit(async () => {
    setSaved(false);
    const s = await accountsApi.saveLdap(systemId, inputOf(draft));
    setSource(s);
    setDraft(draftOf(s));
    setSaved(true);
  });

  const remove = () =>
    run(async () => {
      setSaved(false);
      setPull(null);
      await accountsApi.removeLdap(systemId);
      setSource(null);
      setDraft(EMPTY);
      setRemoved(true);
    });

  // A failed pull is shown with its result (in `pull`), not as the panel's error.
  const pullNow = () =>
    run(async () => {
      setPull(null);
      setSaved(false);
      try {
        setPull({ result: await accountsApi.pull(systemId) });
        onPulled();
      } catch (err) {
        setPull({ error: err });
      } finally {
        // The source remembers the pull (time, counts or error).
        void accountsApi.ldap(systemId).then(setSource, () => undefined);
      }
    });

  if (source === undefined && !error) return null;
  const passwordSet = Boolean(source?.hasPassword);
  return (
    <form
      className="panel form-stack ldap-source"
      onSubmit={save}
      aria-label={t('access.accounts.ldap.title')}
      data-testid="ldap-source"
    >
      <h2>{t('access.accounts.ldap.title')}</h2>
      <p className="small muted">{t('access.accounts.ldap.intro')}</p>
      <dl className="facts small" data-testid="ldap-status">
        <dt>{t('access.accounts.ldap.status')}</dt>
        <dd>
          {source ? (
            <Badge tone="ok">{t('access.accounts.ldap.configured')}</Badge>
          ) : (
            <Badge tone="neutral">{t('access.accounts.ldap.notConfigured')}</Badge>
          )}
        </dd>
        <dt>{t('access.accounts.ldap.bindPassword')}</dt>
        <dd data-testid="ldap-password-state">
          {passwordSet ? (
            <Badge tone="ok">{t('access.accounts.ldap.passwordSet')}</Badge>
          ) : (
            <Badge tone="warn">{t('access.accounts.ldap.passwordNotSet')}</Badge>
          )}
        </dd>
        {source ? (
          <>
            <dt>{t('access.accounts.ldap.lastPull')}</dt>
            <dd data-testid="ldap-last-pull">
              <LastPull source={source} />
            </dd>
          </>
        ) : null}
      </dl>
      <fieldset className="ldap-fields" disabled={!canWrite}>
        <div className="form-grid">
          <TextField
            label={t('access.accounts.ldap.url')}
            required
            maxLength={500}
            placeholder="ldaps://dc1.example.dk:636"
            hint={t('access.accounts.ldap.urlHint')}
            spellCheck={false}
            error={fieldError(error, 'url')}
            {...field('url')}
          />
          <TextField
            label={t('access.accounts.ldap.bindDn')}
            required
            maxLength={1000}
            placeholder="CN=skjold-reader,OU=Service,DC=example,DC=dk"
            spellCheck={false}
            error={fieldError(error, 'bindDn')}
            {...field('bindDn')}
          />
          <TextField
            label={t('access.accounts.ldap.bindPassword')}
            type="password"
            autoComplete="new-password"
            maxLength={1000}
            required={!passwordSet}
            optional={passwordSet}
            hint={passwordSet ? t('access.accounts.ldap.passwordKeep') : t('access.accounts.ldap.passwordNeeded')}
            error={fieldError(error, 'bindPassword')}
            {...field('bindPassword')}
          />
          <TextField
            label={t('access.accounts.ldap.baseDn')}
            required
            maxLength={1000}
            placeholder="OU=Staff,DC=example,DC=dk"
            spellCheck={false}
            error={fieldError(error, 'baseDn')}
            {...field('baseDn')}
          />
          <TextField
            className="span-2"
            label={t('access.accounts.ldap.filter')}
            required
            maxLength={2000}
            hint={t('access.accounts.ldap.filterHint')}
            spellCheck={false}
            error={fieldError(error, 'filter')}
            {...field('filter')}
          />
        </div>
        <h3 className="ldap-sub">{t('access.accounts.ldap.attributes')}</h3>
        <div className="form-grid ldap-attrs">
          <TextField
            label={t('access.accounts.ldap.attr.account')}
            required
            maxLength={100}
            spellCheck={false}
            error={fieldError(error, 'attributes.account')}
            {...field('account')}
          />
          <TextField
            label={t('access.accounts.ldap.attr.name')}
            required
            maxLength={100}
            spellCheck={false}
            error={fieldError(error, 'attributes.name')}
            {...field('name')}
          />
          <TextField
            label={t('access.accounts.ldap.attr.mail')}
            required
            maxLength={100}
            spellCheck={false}
            error={fieldError(error, 'attributes.mail')}
            {...field('mail')}
          />
          <TextField
            label={t('access.accounts.ldap.attr.memberOf')}
            required
            maxLength={100}
            spellCheck={false}
            error={fieldError(error, 'attributes.memberOf')}
            {...field('memberOf')}
          />
          <TextField
            label={t('access.accounts.ldap.attr.disabled')}
            optional
            maxLength={100}
            placeholder="userAccountControl"
            hint={t('access.accounts.ldap.attr.disabledHint')}
            spellCheck={false}
            error={fieldError(error, 'attributes.disabled')}
            {...field('disabled')}
          />
          <TextField
            label={t('access.accounts.ldap.interval')}
            type="number"
            min={5}
            max={10080}
            optional
            hint={t('access.accounts.ldap.intervalHint')}
            error={fieldError(error, 'intervalMinutes')}
            {...field('interval')}
          />
        </div>
        <div className="field">
          <label htmlFor="ldap-groups">
            {t('access.accounts.ldap.groups')} <span className="field-optional">({t('common.optional')})</span>
          </label>
          <textarea
            id="ldap-groups"
            aria-describedby="ldap-groups-hint"
            spellCheck={false}
            value={draft.privilegedGroups}
            onChange={field('privilegedGroups').onChange}
          />
          <span className="field-hint" id="ldap-groups-hint">
            {t('access.accounts.ldap.groupsHint')}
          </span>
        </div>
      </fieldset>
      <ProblemAlert error={error} claimed={CLAIMED} onDismiss={() => setError(null)} />
      {saved ? <Notice onDismiss={() => setSaved(false)}>{t('access.accounts.ldap.saved')}</Notice> : null}
      {removed ? <Notice onDismiss={() => setRemoved(false)}>{t('access.accounts.ldap.removed')}</Notice> : null}
      <div className="button-row">
        {canWrite ? (
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('access.accounts.ldap.save')}
          </button>
        ) : null}
        {canPull ? (
          <button type="button" className="btn" disabled={busy || !source} onClick={() => void pullNow()}>
            {t('access.accounts.ldap.pull')}
          </button>
        ) : null}
        {canWrite && source ? (
          <ConfirmButton
            label={t('access.accounts.ldap.remove')}
            question={t('access.accounts.ldap.removeQuestion')}
            disabled={busy}
            onConfirm={() => void remove()}
          />
        ) : null}
      </div>
      {pull ? (
        <div data-testid="ldap-pull-result">
          {pull.result ? <ImportResultView result={pull.result} /> : null}
          {pull.error ? <ProblemAlert error={pull.error} onDismiss={() => setPull(null)} /> : null}
        </div>
      ) : null}
    </form>
  );
}
