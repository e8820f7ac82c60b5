import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../app/session.tsx';
import { Badge, ListTable, Notice, PageHeader, ProblemAlert, type Tone } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago, durationText } from '../threats/threat-badges.tsx';
import { vulnsApi, type VulnFeed } from './vulns.api.ts';

/** A feed is stale when its last good import is older than this (issue 5 item 3: 24 h). */
const STALE_MS = 24 * 3_600_000;

/** Whether the feed's data is older than a day (or it never loaded), by the server's flag or the clock. */
export function isStale(f: VulnFeed, now = Date.now()): boolean {
  if (f.stale) return true;
  return !f.lastSuccessAt || now - Date.parse(f.lastSuccessAt) > STALE_MS;
}

const STATUS_TONE: Record<string, Tone> = { ok: 'ok', error: 'bad', failed: 'bad', never: 'neutral', stale: 'warn' };

/** /vulns/feeds: each advisory feed's freshness, version and records, why the last import failed; refresh on demand. */
export function FeedsPage() {
  const { t, tMaybe, number } = useI18n();
  const session = useSession();
  const canWrite = session.can('vulns.write');
  const [items, setItems] = useState<VulnFeed[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await vulnsApi.feeds()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const refresh = async (f: VulnFeed) => {
    setBusy(f.id);
    try {
      const r = await vulnsApi.refreshFeed(f.id);
      setNotice(
        t('vulns.feeds.refreshed', { name: f.name, status: tMaybe(`vulns.feedResult.${r.status}`) ?? r.status }) +
          (r.reason ? ` (${r.reason})` : ''),
      );
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const now = Date.now();
  return (
    <>
      <PageHeader title={t('vulns.feeds.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="vuln-feeds-table"
          columns={[
            t('vulns.feeds.feed'),
            t('vulns.feeds.status'),
            t('threats.feeds.freshness'),
            t('vulns.feeds.version'),
            t('vulns.feeds.records'),
            ...(canWrite ? [t('threats.col.actions')] : []),
          ]}
          empty={t('vulns.feeds.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((f) => {
            const stale = isStale(f, now);
            return (
              <tr key={f.id} data-feed={f.id} className={f.enabled ? undefined : 'row-muted'}>
                <td>
                  <span className="strong">{f.name}</span>
                  {f.enabled ? null : <span className="tag">{t('threats.feeds.disabled')}</span>}
                  <div className="muted small">
                    {tMaybe(`vulns.feedKind.${f.kind}`) ?? f.kind}
                    {f.intervalSeconds ? ` · ${t('threats.feeds.every', { d: durationText(f.intervalSeconds) })}` : ''}
                  </div>
                  <div className="muted small mono wrap">{f.url ?? f.path ?? ''}</div>
                </td>
                <td>
                  <Badge tone={STATUS_TONE[f.status] ?? 'neutral'} testId="feed-status">
                    {tMaybe(`vulns.feedStatus.${f.status}`) ?? f.status}
                  </Badge>
                  {f.reason ? <div className="small feed-reason">{f.reason}</div> : null}
                </td>
                <td className={stale ? 'stale-report' : undefined} data-testid="feed-freshness">
                  {f.lastSuccessAt ? (
                    <>
                      {t('threats.feeds.updated')} <Ago at={f.lastSuccessAt} />
                    </>
                  ) : (
                    t('threats.feeds.neverUpdated')
                  )}
                  {stale && f.lastSuccessAt ? <span className="sub">{t('vulns.feeds.stale')}</span> : null}
                  {f.lastAttemptAt && f.lastAttemptAt !== f.lastSuccessAt ? (
                    <div className="muted small">
                      {t('threats.feeds.tried')} <Ago at={f.lastAttemptAt} />
                    </div>
                  ) : null}
                </td>
                <td className="mono small">{f.version ?? '–'}</td>
                <td className="num">{number(f.records)}</td>
                {canWrite ? (
                  <td className="cell-action">
                    <button type="button" className="btn btn-small" disabled={busy !== null} onClick={() => void refresh(f)}>
                      {busy === f.id ? t('threats.feeds.refreshing') : t('threats.feeds.refresh')}
                    </button>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </ListTable>
      ) : null}
    </>
  );
}
