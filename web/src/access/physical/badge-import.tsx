import { useState, type FormEvent } from 'react';
import { useAction } from '../../app/use-action.ts';
import { Badge, ListTable, ProblemAlert } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { physicalApi, type BadgeImportResult } from './physical.api.ts';

type RowStatus = 'accepted' | 'duplicate' | 'rejected';

/** Every data line of an import with its result, in file order. */
function lineResults(r: BadgeImportResult): { line: number; status: RowStatus; reason: string }[] {
  return [
    ...r.acceptedLines.map((line) => ({ line, status: 'accepted' as const, reason: '' })),
    ...r.duplicateLines.map((line) => ({ line, status: 'duplicate' as const, reason: '' })),
    ...r.rejectedRows.map((x) => ({ line: x.line, status: 'rejected' as const, reason: x.reason })),
  ].sort((a, b) => a.line - b.line);
}

/**
 * Upload a badge-events file from the access-card system (CSV, or syslog lines) and show what became of every line:
 * accepted, a duplicate of an event held already, or rejected with the reason. Rejected lines can be fixed and the
 * file imported again (the accepted ones then count as duplicates).
 */
export function BadgeImport({ onImported }: { onImported: () => void }) {
  const { t, number } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<BadgeImportResult | null>(null);
  const { busy, error, setError, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    void run(async () => {
      setResult(await physicalApi.importBadgeEvents(await file.text()));
      onImported();
    }).then((ok) => {
      if (!ok) setResult(null);
    });
  };
  const tone = { accepted: 'ok', duplicate: 'neutral', rejected: 'bad' } as const;
  return (
    <section className="panel form-stack" aria-labelledby="badge-import-title">
      <h2 id="badge-import-title">{t('access.physical.import.title')}</h2>
      <form className="button-row" onSubmit={submit} aria-label={t('access.physical.import.title')}>
        <label className="field">
          <span>{t('access.physical.import.file')}</span>
          <input
            type="file"
            accept=".csv,.txt,.log,text/csv,text/plain"
            required
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setResult(null);
            }}
          />
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy || !file}>
          {t('access.physical.import.submit')}
        </button>
      </form>
      <p className="small muted">{t('access.physical.import.hint')}</p>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {result ? (
        <div data-testid="badge-import-result">
          <p role="status" className="strong">
            {t('access.physical.import.summary', {
              accepted: number(result.accepted),
              duplicates: number(result.duplicates),
              rejected: number(result.rejected),
            })}
          </p>
          <ListTable
            testId="badge-import-lines"
            columns={[t('access.physical.import.line'), t('access.physical.col.result'), t('access.physical.reason')]}
            empty={t('access.physical.import.noLines')}
            isEmpty={result.lines === 0}
          >
            {lineResults(result).map((r) => (
              <tr key={r.line} data-line={r.line} data-status={r.status}>
                <td className="num">{r.line}</td>
                <td>
                  <Badge tone={tone[r.status]}>{t(`access.physical.import.${r.status}`)}</Badge>
                </td>
                <td>{r.reason || <span className="muted">–</span>}</td>
              </tr>
            ))}
          </ListTable>
        </div>
      ) : null}
    </section>
  );
}
