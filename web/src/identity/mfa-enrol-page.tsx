import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ProblemAlert, CopyButton, TextField, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { identityApi, type EnrolStart } from './identity.api.ts';

/** "ABCD EFGH IJKL": easier to read aloud and to type into a phone. */
export function groupSecret(secret: string): string {
  return secret
    .replace(/\s+/g, '')
    .replace(/(.{4})/g, '$1 ')
    .trim();
}

/**
 * TOTP enrolment: a new key (QR code and the key as text), a code to prove the app has it,
 * then the recovery codes, shown once. `onDone` runs after the person confirms they saved them.
 */
export function MfaEnrolment({ username, onDone }: { username: string; onDone: () => void }) {
  const { t, dateTime } = useI18n();
  const [start, setStart] = useState<EnrolStart | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [saved, setSaved] = useState(false);
  const started = useRef(false);

  const begin = async () => {
    setError(null);
    setStart(null);
    setCode('');
    try {
      setStart(await identityApi.enrolStart());
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    // Once per mount, also under StrictMode's double effects: every start makes a new key.
    if (started.current) return;
    started.current = true;
    void begin();
  }, []);

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await identityApi.enrolConfirm(code.replace(/\s+/g, ''));
      setCodes(res.recoveryCodes);
    } catch (err) {
      setError(err);
      setCode('');
    } finally {
      setBusy(false);
    }
  };

  const fileText = useMemo(
    () =>
      codes
        ? `${t('enrol.codesFileHeader', { name: username, date: dateTime(Date.now(), false) })}\n\n${codes.join('\n')}\n`
        : '',
    [codes, t, username, dateTime],
  );
  const fileUrl = useMemo(
    () => (fileText ? URL.createObjectURL(new Blob([fileText], { type: 'text/plain;charset=utf-8' })) : ''),
    [fileText],
  );
  useEffect(() => () => void (fileUrl && URL.revokeObjectURL(fileUrl)), [fileUrl]);

  if (codes) {
    return (
      <div className="enrol-codes">
        <h2 className="warn-heading">{t('enrol.codesTitle')}</h2>
        <p>{t('enrol.codesIntro')}</p>
        <ol className="recovery-codes" aria-label={t('enrol.codesLabel')} data-testid="recovery-codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <div className="button-row">
          <a className="btn" href={fileUrl} download={`skjold-recovery-codes-${username}.txt`}>
            {t('enrol.codesDownload')}
          </a>
          <CopyButton text={codes.join('\n')} label={t('enrol.codesCopy')} />
        </div>
        <label className="check">
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
          {t('enrol.codesSaved')}
        </label>
        <button type="button" className="btn btn-primary" disabled={!saved} onClick={onDone}>
          {t('enrol.continue')}
        </button>
      </div>
    );
  }

  return (
    <div className="enrol">
      <ProblemAlert error={error} claimed={['code']} />
      {!start ? (
        error ? (
          <button type="button" className="btn" onClick={() => void begin()}>
            {t('app.retry')}
          </button>
        ) : (
          <p className="muted" aria-live="polite">
            {t('enrol.starting')}
          </p>
        )
      ) : (
        <>
          <ol className="enrol-steps">
            <li>
              <p>{t('enrol.step1')}</p>
              <div className="enrol-key">
                <img className="qr" src={start.qrDataUrl} alt={t('enrol.qrAlt')} width={200} height={200} />
                <div>
                  <p className="small">{t('enrol.manual')}</p>
                  <code className="secret" data-testid="mfa-secret" data-secret={start.secret.replace(/\s+/g, '')}>
                    {groupSecret(start.secret)}
                  </code>
                  <div className="button-row">
                    <CopyButton text={start.secret.replace(/\s+/g, '')} />
                    <a className="btn btn-small" href={start.otpauthUrl}>
                      {t('enrol.openApp')}
                    </a>
                  </div>
                </div>
              </div>
            </li>
            <li>
              <p>{t('enrol.step2')}</p>
              <form onSubmit={(e) => void confirm(e)} className="form-inline" noValidate>
                <TextField
                  label={t('enrol.code')}
                  name="code"
                  className="field-code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9]{6}"
                  maxLength={7}
                  autoFocus
                  required
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  error={fieldError(error, 'code')}
                />
                <button type="submit" className="btn btn-primary" disabled={busy || code.replace(/\s+/g, '').length !== 6}>
                  {busy ? t('common.working') : t('enrol.confirm')}
                </button>
              </form>
            </li>
          </ol>
          <button type="button" className="btn btn-link" onClick={() => void begin()}>
            {t('enrol.newKey')}
          </button>
        </>
      )}
    </div>
  );
}

/** The forced enrolment page for privileged roles: nothing else is reachable until it is done. */
export function MfaEnrolPage({ username, onDone }: { username: string; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <section className="auth-card auth-card-wide" aria-labelledby="enrol-title">
      <h1 id="enrol-title">{t('enrol.title')}</h1>
      <p className="lead">{t('enrol.required')}</p>
      <MfaEnrolment username={username} onDone={onDone} />
    </section>
  );
}
