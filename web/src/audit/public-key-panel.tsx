import { useEffect, useMemo, useState } from 'react';
import { CopyButton, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { auditApi, type PublicKey } from './audit.api.ts';

/** The Ed25519 key that signs checkpoints, to copy or download for independent verification of exports. */
export function PublicKeyPanel({ onClose }: { onClose: () => void }) {
  const { t } = useI18n();
  const [key, setKey] = useState<PublicKey | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    auditApi.publicKey().then(setKey, setError);
  }, []);
  const fileUrl = useMemo(
    () => (key ? URL.createObjectURL(new Blob([key.publicKeyPem], { type: 'application/x-pem-file' })) : ''),
    [key],
  );
  useEffect(() => () => void (fileUrl && URL.revokeObjectURL(fileUrl)), [fileUrl]);

  return (
    <section className="panel" aria-labelledby="audit-key-title" data-testid="audit-public-key">
      <h2 id="audit-key-title">{t('audit.keyTitle')}</h2>
      <ProblemAlert error={error} />
      {key ? (
        <>
          <p className="muted">{t('audit.keyIntro')}</p>
          <dl className="facts">
            <dt>{t('audit.keyId')}</dt>
            <dd className="mono wrap">{key.keyId}</dd>
            <dt>{t('audit.keyAlgorithm')}</dt>
            <dd className="mono">{key.algorithm}</dd>
          </dl>
          <pre className="pem">{key.publicKeyPem}</pre>
        </>
      ) : null}
      <div className="button-row">
        {key ? (
          <>
            <CopyButton text={key.publicKeyPem} />
            <a className="btn btn-small" href={fileUrl} download={`skjold-audit-${key.keyId}.pem`}>
              {t('audit.keyDownload')}
            </a>
          </>
        ) : null}
        <button type="button" className="btn btn-small" onClick={onClose}>
          {t('common.dismiss')}
        </button>
      </div>
    </section>
  );
}
