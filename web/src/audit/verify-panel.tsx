import { useState } from 'react';
import { ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { auditApi, type VerifyResult } from './audit.api.ts';

/** "Verify integrity": recomputes the hash chain and checks the signed checkpoints on the server. */
export function VerifyPanel() {
  const { t, tMaybe, plural, dateTime } = useI18n();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ at: number; res: VerifyResult } | null>(null);
  const [error, setError] = useState<unknown>(null);

  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult({ at: Date.now(), res: await auditApi.verify() });
    } catch (err) {
      setResult(null);
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const res = result?.res;
  return (
    <div className="verify">
      <button type="button" className="btn btn-verify" onClick={() => void verify()} disabled={busy} data-testid="audit-verify">
        {busy ? t('audit.verifying') : t('audit.verify')}
      </button>
      <div aria-live="polite" className="verify-result">
        {res?.ok === true ? (
          <div className="alert alert-ok" data-testid="verify-ok">
            <div className="alert-body">
              <strong>
                ✓{' '}
                {t('audit.verifyOk', {
                  entries: plural('audit.nEntries', res.entries),
                  checkpoints: plural(
                    'audit.nCheckpoints',
                    typeof res.checkpoints === 'number'
                      ? res.checkpoints
                      : Array.isArray(res.checkpoints)
                        ? res.checkpoints.length
                        : 0,
                  ),
                })}
              </strong>
              <span className="alert-meta">
                {t('audit.verifyRoot')}: <code className="root">{res.root}</code> · {dateTime(result?.at)}
              </span>
            </div>
          </div>
        ) : null}
        {res?.ok === false ? (
          <div className="alert alert-alarm" role="alert" data-testid="verify-failed">
            <div className="alert-body">
              <strong>
                ⚠{' '}
                {typeof res.firstBadSeq !== 'number'
                  ? t('audit.verifyBadNoSeq')
                  : res.lastSuspectSeq !== undefined && res.lastSuspectSeq !== res.firstBadSeq
                    ? t('audit.verifyBadRange', { seq: res.firstBadSeq, last: res.lastSuspectSeq })
                    : t('audit.verifyBad', { seq: res.firstBadSeq })}
              </strong>
              {tMaybe(`verify.${res.problem}`) ? <span className="strong">{tMaybe(`verify.${res.problem}`)}</span> : null}
              <span>
                {res.message} <code>({res.problem})</code>
              </span>
              <span>{t('audit.verifyAdvice')}</span>
              <span className="alert-meta">{dateTime(result?.at)}</span>
            </div>
          </div>
        ) : null}
      </div>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
