import { useCallback, useEffect, useState } from 'react';
import { Link } from '../../app/router.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { Progress } from './review-bits.tsx';
import { reviewsApi, type Campaign } from './reviews.api.ts';
import './reviews.css';

/** /access/reviews: review campaigns, newest first, with progress (decided/total), overdue entries and due date. */
export function CampaignsPage() {
  const { t, dateTime } = useI18n();
  const [items, setItems] = useState<Campaign[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setItems(await reviewsApi.campaigns());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);
  return (
    <>
      <PageHeader title={t('access.reviews.campaigns.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      {error ? <ProblemAlert error={error} /> : null}
      <ListTable
        testId="campaigns"
        columns={[
          t('access.reviews.col.campaign'),
          t('access.reviews.col.scope'),
          t('access.reviews.col.progress'),
          t('access.reviews.col.overdue'),
          t('access.reviews.col.due'),
          t('access.reviews.col.state'),
        ]}
        isEmpty={items !== null && items.length === 0}
        empty={t('access.reviews.campaigns.empty')}
      >
        {(items ?? []).map((c) => (
          <tr key={c.id}>
            <td>
              <Link to={`/access/reviews/${c.id}`}>{c.name}</Link>
            </td>
            <td>
              {t(`access.reviews.scope.${c.scope.scope}`)}
              {c.scope.privilegedOnly ? ` · ${t('access.reviews.privilegedOnly')}` : ''}
              <br />
              <span className="muted">{c.scope.targets.map((x) => x.name).join(', ')}</span>
            </td>
            <td>
              <Progress c={c} />
            </td>
            <td>{c.overdue > 0 ? <Badge tone="bad">{c.overdue}</Badge> : <span className="muted">0</span>}</td>
            <td>{dateTime(c.dueAt)}</td>
            <td>
              {c.state === 'closed' ? (
                <Badge tone="ok">{t('access.reviews.state.closed')}</Badge>
              ) : (
                <Badge tone="info">{t('access.reviews.state.open')}</Badge>
              )}
            </td>
          </tr>
        ))}
      </ListTable>
    </>
  );
}
