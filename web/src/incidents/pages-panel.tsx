import { Fragment, useCallback, useEffect, useState } from 'react';
import { Badge, ProblemAlert, type Tone } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { pagingApi, type PageView } from '../oncall/paging.api.ts';
import '../oncall/paging.css';

const TONE: Record<PageView['state'], Tone> = {
  sent: 'ok',
  failed: 'bad',
  pending: 'warn',
  sending: 'warn',
  cancelled: 'neutral',
};

/** The pages of one incident, level by level: who, through which channel, and what came of it. */
export function PagesPanel({ incidentId, version }: { incidentId: string; version: number }) {
  const { t, dateTime } = useI18n();
  const [items, setItems] = useState<PageView[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setItems((await pagingApi.pages(incidentId)).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [incidentId]);
  useEffect(() => void load(), [load, version]);

  const groups = new Map<string, PageView[]>();
  for (const p of [...(items ?? [])].sort(
    (a, b) => a.round - b.round || a.level - b.level || a.createdAt.localeCompare(b.createdAt),
  )) {
    const key = `${p.round}:${p.level}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const columns = [
    t('paging.pages.col.who'),
    t('paging.pages.col.channel'),
    t('paging.pages.col.state'),
    t('paging.pages.col.attempts'),
    t('paging.pages.col.result'),
    t('paging.pages.col.created'),
    t('paging.pages.col.sent'),
  ];

  return (
    <section className="panel pages-panel" data-testid="incident-pages">
      <div className="pages-head">
        <h2>{t('paging.pages.title')}</h2>
        {items && items.length > 0 ? <PageSummary items={items} /> : null}
        <span className="spacer" />
        <button type="button" className="btn btn-small" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </div>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items?.length === 0 ? <p className="muted">{t('paging.pages.empty')}</p> : null}
      {items && items.length > 0 ? (
        <div className="table-wrap">
          <table className="table pages-table">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c} scope="col">
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            {[...groups.entries()].map(([key, pages]) => {
              const first = pages[0];
              if (!first) return null;
              return (
                <Fragment key={key}>
                  <tbody className="pages-level">
                    <tr className="pages-level-row">
                      <th colSpan={columns.length} scope="rowgroup">
                        {t('paging.level', { n: first.level })}
                        {first.round > 0 ? (
                          <span className="muted"> · {t('paging.pages.round', { n: first.round + 1 })}</span>
                        ) : null}
                      </th>
                    </tr>
                    {pages.map((p) => (
                      <tr key={p.id} data-page={p.id} data-state={p.state} className={`page-row page-${p.state}`}>
                        <td className="strong">{p.recipient}</td>
                        <td className="mono small">{p.channel ?? '—'}</td>
                        <td>
                          <Badge tone={TONE[p.state]} testId="page-state">
                            {t(`paging.state.${p.state}`)}
                          </Badge>
                          {p.acknowledgedByLink ? (
                            <span className="tag tag-acklink" data-testid="page-acklink">
                              {t('paging.pages.ackByLink')}
                            </span>
                          ) : null}
                        </td>
                        <td className="num">{p.attempts}</td>
                        <td className={p.error ? 'page-error wrap small' : 'wrap small'}>{p.error ?? p.receipt ?? '—'}</td>
                        <td className="nowrap small">{dateTime(p.createdAt)}</td>
                        <td className="nowrap small">{p.sentAt ? dateTime(p.sentAt) : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </Fragment>
              );
            })}
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** "2 sent · 1 failed": the counts a reader takes in before the table. */
function PageSummary({ items }: { items: PageView[] }) {
  const { t } = useI18n();
  const count = (s: PageView['state']) => items.filter((p) => p.state === s).length;
  const states: PageView['state'][] = ['sent', 'failed', 'sending', 'pending', 'cancelled'];
  return (
    <span className="chips" aria-label={t('paging.pages.summary')}>
      {states
        .filter((s) => count(s) > 0)
        .map((s) => (
          <Badge key={s} tone={TONE[s]}>
            {count(s)} {t(`paging.state.${s}`).toLowerCase()}
          </Badge>
        ))}
    </span>
  );
}
