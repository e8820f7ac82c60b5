import { useCallback, useEffect, useState } from 'react';
import { Link } from '../../app/router.tsx';
import { Badge, ListTable, Notice, PageHeader, ProblemAlert } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { DecideControls, DeliveryBadge, FlagBadges, Subject } from './review-bits.tsx';
import { reviewsApi, type MyReviews } from './reviews.api.ts';
import './reviews.css';

/**
 * /access/my-reviews: the signed-in reviewer's work list (entries of open campaigns assigned or escalated to them),
 * with one-click Keep / Revoke and a small form for reduce, defer and escalate; and the reminders they were sent.
 */
export function MyReviewsPage() {
  const { t, plural, dateTime } = useI18n();
  const [data, setData] = useState<MyReviews | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setData(await reviewsApi.mine());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);
  return (
    <>
      <PageHeader title={t('access.reviews.mine.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      {error ? <ProblemAlert error={error} /> : null}
      {data && !data.person ? <Notice tone="info">{t('access.reviews.mine.notLinked')}</Notice> : null}
      {data?.reminders.length ? (
        <Notice tone="warn">
          <ul data-testid="reminders">
            {data.reminders.map((r) => (
              <li key={r.id} className="review-reminder">
                {t(r.kind === 'escalation' ? 'access.reviews.mine.escalation' : 'access.reviews.mine.reminder', {
                  campaign: r.campaignName,
                  entries: plural('access.reviews.mine.entryCount', r.entries),
                  at: dateTime(r.sentAt),
                })}{' '}
                <DeliveryBadge d={r.delivery} />
              </li>
            ))}
          </ul>
        </Notice>
      ) : null}
      {data?.person ? (
        <ListTable
          testId="my-entries"
          columns={[
            t('access.reviews.col.campaign'),
            t('access.reviews.col.access'),
            t('access.reviews.col.flags'),
            t('access.reviews.col.lastUse'),
            t('access.reviews.col.act'),
          ]}
          isEmpty={data.entries.length === 0}
          empty={t('access.reviews.mine.empty')}
        >
          {data.entries.map((e) => (
            <tr key={e.id}>
              <td>
                <Link to={`/access/reviews/${e.campaignId}`}>{e.campaignName}</Link>
                <div className="muted">
                  {t('access.reviews.col.due')}: {dateTime(e.dueAt)}
                </div>
                {e.overdue ? <Badge tone="bad">{t('access.reviews.overdue')}</Badge> : null}
              </td>
              <td>
                <Subject e={e} />
                {e.facts.justification ? <div className="muted">{e.facts.justification}</div> : null}
              </td>
              <td>
                <FlagBadges flags={e.flags} />
              </td>
              <td>{e.facts.lastUsedAt ? dateTime(e.facts.lastUsedAt) : '–'}</td>
              <td>
                <DecideControls e={e} onDone={() => void load()} />
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}
