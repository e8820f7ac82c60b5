import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { DecideControls, DecisionBadge, DeliveryBadge, FlagBadges, Progress, ResultText, Subject } from './review-bits.tsx';
import { FINAL_DECISIONS, REVIEW_FLAGS, reviewsApi, type Campaign, type Entry, type Reminder } from './reviews.api.ts';
import './reviews.css';

/**
 * /access/reviews/<id>: one campaign: its frozen scope, progress, reviewers, evidence downloads once closed, the close
 * form, and every entry with its flags and decision (filters by flag, decision and text).
 */
export function CampaignPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [c, setC] = useState<Campaign | null>(null);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [reminders, setReminders] = useState<Reminder[] | null>(null);
  const [filter, setFilter] = useState<{ flag?: string | undefined; decision?: string | undefined; q?: string | undefined }>({});
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState('');
  const load = useCallback(async () => {
    try {
      const [camp, list, sent] = await Promise.all([
        reviewsApi.campaign(id),
        reviewsApi.entries(id, filter),
        reviewsApi.reminders(id),
      ]);
      setC(camp);
      setEntries(list);
      setReminders(sent);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id, filter]);
  useEffect(() => void load(), [load]);
  const close = async (ev: FormEvent) => {
    ev.preventDefault();
    try {
      setC(await reviewsApi.close(id, reason.trim() || undefined));
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const open = c?.state === 'open';
  const mailSent = (reminders ?? []).filter((r) => r.delivery?.state === 'sent').length;
  const notReached = (reminders ?? []).filter(
    (r) => !r.delivery || ['failed', 'not_sent', 'undeliverable'].includes(r.delivery.state),
  ).length;
  const manager = session.can('access.campaigns');
  return (
    <>
      <p>
        <Link to="/access/reviews">← {t('access.reviews.campaigns.title')}</Link>
      </p>
      <PageHeader title={c?.name ?? t('access.reviews.campaign')}>
        {c && !open && session.can('access.export') ? (
          <span role="group" aria-label={t('access.reviews.evidence')}>
            <a className="btn" href={reviewsApi.exportUrl(id, 'csv')} download data-testid="export-csv">
              {t('access.reviews.exportCsv')}
            </a>{' '}
            <a className="btn" href={reviewsApi.exportUrl(id, 'pdf')} download data-testid="export-pdf">
              {t('access.reviews.exportPdf')}
            </a>
          </span>
        ) : null}
      </PageHeader>
      {error ? <ProblemAlert error={error} onDismiss={() => setError(null)} /> : null}
      {c ? (
        <dl className="review-meta" data-testid="campaign-meta">
          <dt>{t('access.reviews.col.state')}</dt>
          <dd>
            {open ? (
              <Badge tone="info">{t('access.reviews.state.open')}</Badge>
            ) : (
              <Badge tone="ok">{t('access.reviews.state.closed')}</Badge>
            )}
            {c.closeReason ? ` ${c.closeReason}` : ''}
          </dd>
          <dt>{t('access.reviews.col.scope')}</dt>
          <dd>
            {t(`access.reviews.scope.${c.scope.scope}`)}
            {c.scope.privilegedOnly ? ` · ${t('access.reviews.privilegedOnly')}` : ''}:{' '}
            {c.scope.targets.map((x) => x.name).join(', ')}
          </dd>
          <dt>{t('access.reviews.col.progress')}</dt>
          <dd>
            <Progress c={c} />
          </dd>
          <dt>{t('access.reviews.col.due')}</dt>
          <dd>
            {dateTime(c.dueAt)}
            {c.overdue > 0 ? (
              <>
                {' '}
                <Badge tone="bad">{t('access.reviews.overdueCount', { n: c.overdue })}</Badge>
              </>
            ) : null}
          </dd>
          <dt>{t('access.reviews.reviewers')}</dt>
          <dd>{c.reviewers.map((r) => `${r.name} (${r.decided}/${r.total})`).join(', ') || '–'}</dd>
          {reminders?.length ? (
            <>
              <dt>{t('access.reviews.reminders.title')}</dt>
              <dd data-testid="reminder-summary">
                <a href="#reminders">{t('access.reviews.reminders.summary', { sent: mailSent, total: reminders.length })}</a>
                {notReached > 0 ? (
                  <>
                    {' '}
                    <Badge tone="bad">{t('access.reviews.reminders.notReached', { n: notReached })}</Badge>
                  </>
                ) : null}
              </dd>
            </>
          ) : null}
          {c.closedAt ? (
            <>
              <dt>{t('access.reviews.closedAt')}</dt>
              <dd>{dateTime(c.closedAt)}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {open && manager ? (
        <form className="filter-bar" onSubmit={(ev) => void close(ev)} aria-label={t('access.reviews.close')}>
          <TextField
            className="review-close-reason"
            label={t('access.reviews.closeReason')}
            hint={t('access.reviews.closeHint')}
            value={reason}
            maxLength={2000}
            optional
            onChange={(ev) => setReason(ev.target.value)}
          />
          <button type="submit" className="btn">
            {t('access.reviews.close')}
          </button>
        </form>
      ) : null}
      {reminders?.length ? (
        <section className="review-reminders" id="reminders" aria-labelledby="reminders-title">
          <h2 id="reminders-title">{t('access.reviews.reminders.title')}</h2>
          <p className="small muted">{t('access.reviews.reminders.intro')}</p>
          <ListTable
            testId="reminders"
            columns={[
              t('access.reviews.reminders.col.at'),
              t('access.reviews.reminders.col.kind'),
              t('access.reviews.reminders.col.to'),
              t('access.reviews.reminders.col.entries'),
              t('access.reviews.reminders.col.mail'),
            ]}
            isEmpty={false}
            empty={t('access.reviews.reminders.empty')}
          >
            {reminders.map((r) => (
              <tr key={r.id}>
                <td>{dateTime(r.sentAt)}</td>
                <td>
                  {t(
                    r.kind === 'escalation'
                      ? 'access.reviews.reminders.kind.escalation'
                      : 'access.reviews.reminders.kind.reminder',
                  )}
                </td>
                <td>{r.toName ?? '–'}</td>
                <td>{r.entries}</td>
                <td>
                  <DeliveryBadge d={r.delivery} />
                </td>
              </tr>
            ))}
          </ListTable>
        </section>
      ) : null}
      <div className="filter-bar" role="search" aria-label={t('access.reviews.filters')}>
        <TextField
          label={t('access.reviews.search')}
          type="search"
          value={filter.q ?? ''}
          maxLength={100}
          onChange={(ev) => setFilter((f) => ({ ...f, q: ev.target.value || undefined }))}
        />
        <SelectField
          label={t('access.reviews.col.flags')}
          value={filter.flag ?? ''}
          onChange={(ev) => setFilter((f) => ({ ...f, flag: ev.target.value || undefined }))}
        >
          <option value="">{t('access.reviews.all')}</option>
          {REVIEW_FLAGS.map((f) => (
            <option key={f} value={f}>
              {t(`access.reviews.flag.${f}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('access.reviews.col.decision')}
          value={filter.decision ?? ''}
          onChange={(ev) => setFilter((f) => ({ ...f, decision: ev.target.value || undefined }))}
        >
          <option value="">{t('access.reviews.all')}</option>
          <option value="undecided">{t('access.reviews.undecided')}</option>
          {FINAL_DECISIONS.map((d) => (
            <option key={d} value={d}>
              {t(`access.reviews.decision.${d}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <ListTable
        testId="entries"
        columns={[
          t('access.reviews.col.access'),
          t('access.reviews.col.flags'),
          t('access.reviews.col.lastUse'),
          t('access.reviews.col.reviewer'),
          t('access.reviews.col.decision'),
          ...(open && manager ? [t('access.reviews.col.act')] : []),
        ]}
        isEmpty={entries !== null && entries.length === 0}
        empty={t('access.reviews.entries.empty')}
      >
        {(entries ?? []).map((e) => (
          <tr key={e.id} data-testid={`entry-${e.seq}`}>
            <td>
              <Subject e={e} />
            </td>
            <td>
              <FlagBadges flags={e.flags} />
            </td>
            <td>{e.facts.lastUsedAt ? dateTime(e.facts.lastUsedAt) : '–'}</td>
            <td>
              {e.reviewerName ?? '–'}
              {e.escalatedToName ? <span className="muted"> → {e.escalatedToName}</span> : null}
            </td>
            <td>
              <DecisionBadge e={e} />
              {e.reason ? <div className="muted">{e.reason}</div> : null}
              <ResultText e={e} />
              {e.decidedByName ? (
                <div className="muted">
                  {e.decidedByName}, {dateTime(e.decidedAt)}
                </div>
              ) : null}
            </td>
            {open && manager ? <td>{e.decision ? null : <DecideControls e={e} onDone={() => void load()} />}</td> : null}
          </tr>
        ))}
      </ListTable>
    </>
  );
}
