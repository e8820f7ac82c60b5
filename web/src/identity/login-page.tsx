import { useState, type FormEvent } from 'react';
import { ProblemAlert, Notice, TextField, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { identityApi, type LoginResponse } from './identity.api.ts';

/** Username and password. The next step (MFA code, enrolment, or in) is the app's decision. */
export function LoginPage({ notice, onSignedIn }: { notice?: string | undefined; onSignedIn: (res: LoginResponse) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [missing, setMissing] = useState<{ username?: boolean; password?: boolean }>({});

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const gaps = { username: !username.trim(), password: !password };
    setMissing(gaps);
    if (gaps.username || gaps.password) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await identityApi.login(username.trim(), password));
    } catch (err) {
      setError(err);
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <section className="auth-card" aria-labelledby="login-title">
      <h1 id="login-title">{t('login.title')}</h1>
      {notice && !error ? <Notice tone="info">{notice}</Notice> : null}
      <ProblemAlert error={error} claimed={['username', 'password']} />
      <form onSubmit={(e) => void submit(e)} className="form-stack" noValidate>
        <TextField
          label={t('login.username')}
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={missing.username ? t('login.usernameMissing') : fieldError(error, 'username')}
        />
        <TextField
          label={t('login.password')}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={missing.password ? t('login.passwordMissing') : fieldError(error, 'password')}
        />
        <button type="submit" className="btn btn-primary btn-wide" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
      <p className="muted small">{t('login.help')}</p>
    </section>
  );
}
