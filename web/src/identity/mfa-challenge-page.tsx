import { useState, type FormEvent } from 'react';
import { ProblemAlert, TextField, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { identityApi } from './identity.api.ts';

/** The second step of sign-in: a TOTP code or a recovery code. */
export function MfaChallengePage({
  username,
  onVerified,
  onBack,
}: {
  username: string;
  onVerified: (csrfToken: string) => void;
  onBack: () => void;
}) {
  const { t } = useI18n();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await identityApi.mfa(code.replace(/\s+/g, ''));
      onVerified(res.csrfToken);
    } catch (err) {
      setError(err);
      setCode('');
      setBusy(false);
    }
  };

  return (
    <section className="auth-card" aria-labelledby="mfa-title">
      <h1 id="mfa-title">{t('mfa.title')}</h1>
      <p>{t('mfa.intro', { name: username })}</p>
      <ProblemAlert error={error} claimed={['code']} />
      <form onSubmit={(e) => void submit(e)} className="form-stack" noValidate>
        <TextField
          label={t('mfa.code')}
          name="code"
          className="field-code"
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus
          required
          maxLength={64}
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={fieldError(error, 'code')}
        />
        <button type="submit" className="btn btn-primary btn-wide" disabled={busy || code.trim().length < 6}>
          {busy ? t('common.working') : t('mfa.submit')}
        </button>
      </form>
      <button type="button" className="btn btn-link" onClick={onBack}>
        {t('mfa.back')}
      </button>
    </section>
  );
}
