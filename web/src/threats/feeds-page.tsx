import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../app/session.tsx';
import { ListTable, Notice, PageHeader, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago, FeedStatusBadge, durationText } from './threat-badges.tsx';
import { threatsApi, type Feed } from './threats.api.ts';

/** /threats/feeds: each threat-intel list's status and freshness, entries, licence and attribution; refresh on demand. */
export function FeedsPage() {
  const { t, number, dateTime } = useI18n();
  const session = useSession();
  const canWrite = session.can('threats.write');
  const [items, setItems] = useState<Feed[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await threatsApi.feeds()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const refresh = async (f: Feed) => {
    setBusy(f.id);
    try {
      const r = await threatsApi.refreshFeed(f.id);
      setNotice(
        t('threats.feeds.refreshed', { name: f.name, status: r.status, n: number(r.entries) }) +
          (r.reason ? ` (${r.reason})` : ''),
      );
      await load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <PageHeader title={t('threats.feeds.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="feeds-table"
          columns={[
            t('threats.col.feed'),
            t('threats.col.status'),
            t('threats.feeds.freshness'),
            t('threats.feeds.entries'),
            t('threats.feeds.licence'),
            ...(canWrite ? [t('threats.col.actions')] : []),
          ]}
          empty={t('threats.feeds.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((f) => {
            // Stale or broken feeds are the ones to look at: their freshness is drawn in the warning colour.
            const late = f.status === 'stale' || f.status === 'failed' || f.status === 'rejected';
            return (
              <tr key={f.id} data-feed={f.id} className={f.enabled ? undefined : 'row-muted'}>
                <td>
                  <span className="strong">{f.name}</span>
                  {f.enabled ? null : <span className="tag">{t('threats.feeds.disabled')}</span>}
                  <div className="muted small mono wrap">{f.url ?? f.file ?? ''}</div>
                  <div className="muted small">
                    {f.format} · {t('threats.feeds.every', { d: durationText(f.refreshSeconds) })}
                  </div>
                </td>
                <td>
                  <FeedStatusBadge status={f.status} />
                  {f.reason ? <div className="small feed-reason">{f.reason}</div> : null}
                </td>
                <td className={late ? 'freshness-late' : undefined} data-testid="feed-freshness">
                  {f.lastSuccessAt ? (
                    <span title={dateTime(f.lastSuccessAt)}>
                      {t('threats.feeds.updated')} <Ago at={f.lastSuccessAt} />
                    </span>
                  ) : (
                    t('threats.feeds.neverUpdated')
                  )}
                  {f.lastAttemptAt && f.lastAttemptAt !== f.lastSuccessAt ? (
                    <div className="muted small">
                      {t('threats.feeds.tried')} <Ago at={f.lastAttemptAt} />
                    </div>
                  ) : null}
                </td>
                <td className="num">{number(f.entries)}</td>
                <td className="small">
                  <div>{f.licence}</div>
                  <div className="muted">{f.attribution}</div>
                  {f.homepage ? (
                    <a href={f.homepage} target="_blank" rel="noreferrer noopener">
                      {t('threats.feeds.homepage')}
                    </a>
                  ) : null}
                </td>
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
