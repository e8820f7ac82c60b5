import { useRef, useState, type ChangeEvent } from 'react';
import { ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { vulnsApi, type SbomUploadResult } from './vulns.api.ts';

/**
 * Upload a CycloneDX or SPDX JSON SBOM for a service or application (issue 5 item 1): the server snapshots and
 * re-matches it; a file it cannot read is refused whole with the reason, and the snapshot in force stays.
 */
export function SbomUpload({ assetId, onUploaded }: { assetId: string; onUploaded: (r: SbomUploadResult) => void }) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      let doc: unknown;
      try {
        doc = JSON.parse(await file.text());
      } catch (err) {
        throw new Error(t('vulns.sbom.notJson', { file: file.name, reason: (err as Error).message }));
      }
      onUploaded(await vulnsApi.uploadSbom(assetId, doc));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="sbom-upload" data-testid="sbom-upload">
      <input
        ref={input}
        type="file"
        accept=".json,application/json"
        hidden
        aria-label={t('vulns.sbom.upload')}
        onChange={(e) => void pick(e)}
      />
      <button type="button" className="btn" disabled={busy} onClick={() => input.current?.click()} title={t('vulns.sbom.hint')}>
        {busy ? t('vulns.sbom.reading') : t('vulns.sbom.upload')}
      </button>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
