import { useState, type FormEvent } from 'react';
import { useSession } from '../app/session.tsx';
import { Badge, Notice, PageHeader, ProblemAlert, TextField, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { identityApi } from './identity.api.ts';
import { MfaEnrolment } from './mfa-enrol-page.tsx';

/** Your own profile, password change, and optional MFA enrolment for roles that do not require it. */
export function AccountPage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const { user } = session.me;
  const [enrolling, setEnrolling] = useState(false);

  return (
    <>
      <PageHeader title={t('account.title')} />
      <div className="columns">
        <section className="panel" aria-labelledby="profile-title">
          <h2 id="profile-title">{t('account.profile')}</h2>
          <dl className="facts">
            <dt>{t('account.username')}</dt>
            <dd className="strong">{user.username}</dd>
            <dt>{t('account.displayName')}</dt>
            <dd>{user.displayName || user.username}</dd>
            <dt>{t('account.role')}</dt>
            <dd>{t(`roles.${user.role}`)}</dd>
            <dt>{t('account.mfa')}</dt>
            <dd>
              {user.mfaEnabled ? <Badge tone="ok">{t('users.mfaOn')}</Badge> : <Badge tone="warn">{t('users.mfaOff')}</Badge>}
            </dd>
            <dt>{t('account.lastLogin')}</dt>
            <dd>{user.lastLoginAt ? dateTime(user.lastLoginAt) : t('common.never')}</dd>
          </dl>
          {!user.mfaEnabled && !enrolling ? (
            <button type="button" className="btn btn-primary" onClick={() => setEnrolling(true)}>
              {t('account.mfaSetup')}
            </button>
          ) : null}
        </section>
        <PasswordForm />
      </div>
      {enrolling ? (
        <section className="panel" aria-labelledby="enrol-title">
          <h2 id="enrol-title">{t('enrol.title')}</h2>
          <MfaEnrolment
            username={user.username}
            onDone={() => {
              setEnrolling(false);
              void session.refresh();
            }}
          />
        </section>
      ) : null}
    </>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const mismatch = repeat.length > 0 && next !== repeat;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== repeat) return;
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await identityApi.changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
      setRepeat('');
      // The server starts a fresh session (other sessions end): pick up its CSRF token.
      await session.refresh();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">{t('account.passwordTitle')}</h2>
      {done ? <Notice onDismiss={() => setDone(false)}>{t('account.changed')}</Notice> : null}
      <ProblemAlert error={error} claimed={['currentPassword', 'newPassword']} />
      <form className="form-stack" onSubmit={(e) => void submit(e)} noValidate>
        {/* Lets password managers file the change under the right account. */}
        <input type="text" name="username" autoComplete="username" value={session.me.user.username} readOnly hidden />
        <TextField
          label={t('account.current')}
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={fieldError(error, 'currentPassword')}
        />
        <TextField
          label={t('account.new')}
          name="newPassword"
          type="password"
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint={t('account.newHint')}
          error={fieldError(error, 'newPassword')}
        />
        <TextField
          label={t('account.repeat')}
          name="repeatPassword"
          type="password"
          autoComplete="new-password"
          required
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          error={mismatch ? t('account.mismatch') : undefined}
        />
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={busy || !current || !next || next !== repeat}>
            {busy ? t('common.working') : t('account.submit')}
          </button>
        </div>
      </form>
    </section>
  );
}
