import { useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { Link } from '../../app/router.tsx';
import { Badge, Notice, PageHeader, ProblemAlert, SelectField, TextField, fieldError, type Tone } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { STATE_TONE } from './grant-state.ts';
import { peopleApi, type Grant, type GrantEvent, type System } from './people.api.ts';
import { ReasonAction } from './reason-action.tsx';
import './people.css';

type Detail = Grant & { history: GrantEvent[] };

const EVENT_TONE: Record<GrantEvent['event'], string> = {
  requested: 'ev-info',
  approved: 'ev-ok',
  'second-approved': 'ev-ok',
  activated: 'ev-ok',
  amended: 'ev-info',
  rejected: 'ev-bad',
  revoked: 'ev-bad',
  expired: 'ev-neutral',
  reduced: 'ev-warn',
};

/**
 * The levels a grant may be reduced to: those listed before its own in the system's levels (least access first), and
 * never a privileged one unless the grant is privileged itself (reducing never adds privilege; the server re-checks).
 */
export function lowerLevels(system: System | null, g: Pick<Grant, 'level' | 'privileged'>) {
  if (!system) return [];
  const at = system.levels.findIndex((l) => l.name === g.level);
  const below = at >= 0 ? system.levels.slice(0, at) : system.levels.filter((l) => l.name !== g.level);
  return below.filter((l) => g.privileged || !l.privileged);
}

/** The grant's life, oldest first: what happened, who did it, when, and why. */
function GrantTimeline({ events }: { events: GrantEvent[] }) {
  const { t, dateTime } = useI18n();
  if (!events.length) return <p className="muted">{t('access.people.grant.noHistory')}</p>;
  return (
    <ol className="grant-timeline" data-testid="grant-timeline">
      {events.map((e, i) => (
        <li key={`${e.at}-${i}`} className={EVENT_TONE[e.event] ?? 'ev-info'} data-event={e.event}>
          <div className="ev-head">
            <span className="ev-kind">{t(`access.people.event.${e.event}`)}</span>
            <span className="ev-who">{t('access.people.grant.by', { who: e.actorName ?? e.actor })}</span>
          </div>
          <div className="muted small">
            <time dateTime={e.at}>{dateTime(e.at)}</time>
            {e.actorName && e.actorName !== e.actor ? <span className="mono"> · {e.actor}</span> : null}
          </div>
          {e.reason ? <div className="ev-detail small">{e.reason}</div> : null}
        </li>
      ))}
    </ol>
  );
}

/** End the grant and give the person a lesser level of the same system instead, with the reason. */
function ReduceForm({
  grant,
  system,
  onDone,
}: {
  grant: Grant;
  system: System | null;
  onDone: (replacement: Grant) => Promise<void>;
}) {
  const { t } = useI18n();
  const levels = lowerLevels(system, grant);
  const [open, setOpen] = useState(false);
  const [level, setLevel] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useAction();
  if (!levels.length) return null;
  if (!open)
    return (
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        {t('access.people.reduce')}
      </button>
    );
  const onSubmit = submit(async () => {
    const r = await peopleApi.reduce(grant.id, level, reason.trim());
    setOpen(false);
    await onDone(r.replacement);
  });
  return (
    <form className="reduce-form form-stack" onSubmit={onSubmit} aria-label={t('access.people.reduce')}>
      <div className="form-grid">
        <SelectField
          label={t('access.people.grant.reduceTo')}
          value={level}
          required
          onChange={(e) => setLevel(e.target.value)}
          error={fieldError(error, 'level')}
        >
          <option value="">–</option>
          {levels.map((l) => (
            <option key={l.name} value={l.name}>
              {l.name}
              {l.privileged ? ` (${t('access.people.privileged')})` : ''}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('access.people.reason')}
          value={reason}
          required
          minLength={3}
          maxLength={1000}
          onChange={(e) => setReason(e.target.value)}
          error={fieldError(error, 'reason')}
        />
      </div>
      <ProblemAlert error={error} claimed={['level', 'reason']} />
      <div className="button-row">
        <button type="submit" className="btn btn-small btn-primary" disabled={busy}>
          {t('access.people.grant.reduceConfirm')}
        </button>
        <button type="button" className="btn btn-small btn-quiet" onClick={() => setOpen(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

/**
 * /access/grants/<id>: one grant with its facts, its history as a timeline (who did what when, and why), and the
 * actions the server allows the caller now: approve, reject, revoke, and reduce to a lesser level of the same system.
 */
export function GrantDetailPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const [g, setG] = useState<Detail | null>(null);
  const [system, setSystem] = useState<System | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reduced, setReduced] = useState<{ id: string; level: string } | null>(null);
  const load = useCallback(async () => {
    try {
      const d = await peopleApi.grant(id);
      setG(d);
      setError(null);
      setSystem(await peopleApi.system(d.systemId).catch(() => null));
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => {
    setReduced(null);
    void load();
  }, [load]);
  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      await load();
    } catch (err) {
      setError(err);
    }
  };

  const back = (
    <p className="small">
      <Link to="/access/grants">← {t('access.people.grant.back')}</Link>
    </p>
  );
  if (!g)
    return (
      <>
        {back}
        {error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>}
      </>
    );
  const who = (name: string | null, ref: string | null) => name ?? ref ?? '—';
  const approvers = [g.approvedByName, g.secondApprovedByName].filter(Boolean).join(', ');
  const tone: Tone = STATE_TONE[g.state];
  const anyAction = g.actions.approve || g.actions.reject || g.actions.revoke;
  return (
    <>
      {back}
      <PageHeader title={t('access.people.grant.title', { person: g.personName, system: g.systemName, level: g.level })}>
        <Badge tone={tone} testId="grant-state">
          {t(`access.people.state.${g.state}`)}
        </Badge>
        {g.privileged ? <Badge tone="warn">{t('access.people.privileged')}</Badge> : null}
        {g.jitHours ? <Badge tone="info">{t('access.people.jit', { hours: g.jitHours })}</Badge> : null}
      </PageHeader>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {reduced ? (
        <Notice onDismiss={() => setReduced(null)}>
          {t('access.people.grant.reduced', { level: reduced.level })}{' '}
          <Link to={`/access/grants/${encodeURIComponent(reduced.id)}`}>{t('access.people.grant.openReplacement')}</Link>
        </Notice>
      ) : null}
      <div className="grant-detail">
        <section className="panel" data-testid="grant-facts">
          <h2>{t('access.people.grant.facts')}</h2>
          <dl className="facts">
            <dt>{t('access.people.col.person')}</dt>
            <dd>
              <span className="strong">{g.personName}</span>
              {g.personEmail ? <span className="muted"> · {g.personEmail}</span> : null}
              {g.personStatus === 'left' ? <div className="muted small">{t('access.people.status.left')}</div> : null}
            </dd>
            <dt>{t('access.people.col.system')}</dt>
            <dd>
              {g.systemName} <span className="muted">({t(`access.people.classification.${g.systemClassification}`)})</span>
            </dd>
            <dt>{t('access.people.col.level')}</dt>
            <dd>{g.level}</dd>
            <dt>{t('access.people.col.need')}</dt>
            <dd className="wrap">{g.justification}</dd>
            <dt>{t('access.people.col.state')}</dt>
            <dd>
              {t(`access.people.state.${g.state}`)}
              {g.state === 'active' && !g.effective ? (
                <div className="muted small">{t('access.people.notYetEffective')}</div>
              ) : null}
              {g.endReason ? <div className="muted small">{g.endReason}</div> : null}
            </dd>
            <dt>{t('access.people.col.approvals')}</dt>
            <dd className="approvals">
              {g.approvalsGiven}/{g.approvalsNeeded}
              {approvers ? <span className="muted"> · {approvers}</span> : null}
            </dd>
            <dt>{t('access.people.grant.requestedBy')}</dt>
            <dd>{who(g.requestedByName, g.requestedBy)}</dd>
            <dt>{t('access.people.grant.starts')}</dt>
            <dd>{dateTime(g.startsAt)}</dd>
            <dt>{t('access.people.col.ends')}</dt>
            <dd>
              {g.expiresAt ? dateTime(g.expiresAt) : t('access.people.noExpiry')}
              {g.expiringSoon ? (
                <>
                  {' '}
                  <Badge tone="warn">{t('access.people.expiringSoon')}</Badge>
                </>
              ) : null}
            </dd>
            {g.endedAt ? (
              <>
                <dt>{t('access.people.grant.ended')}</dt>
                <dd>{dateTime(g.endedAt)}</dd>
              </>
            ) : null}
          </dl>
          {anyAction ? (
            <div className="grant-actions" data-testid="grant-actions">
              <h3>{t('access.people.grant.actions')}</h3>
              <div className="button-row">
                {g.actions.approve ? (
                  <button
                    type="button"
                    className="btn btn-small btn-primary"
                    onClick={() => void act(() => peopleApi.approve(g.id))}
                  >
                    {g.approvalsGiven > 0 ? t('access.people.secondApprove') : t('access.people.approve')}
                  </button>
                ) : null}
                {g.actions.reject ? (
                  <ReasonAction label={t('access.people.reject')} onSubmit={(r) => act(() => peopleApi.reject(g.id, r))} />
                ) : null}
                {g.actions.revoke ? (
                  <ReasonAction label={t('access.people.revoke')} danger onSubmit={(r) => act(() => peopleApi.revoke(g.id, r))} />
                ) : null}
              </div>
              {/* Reducing is revoking to less: offered whenever revoking is. */}
              {g.actions.revoke ? (
                <div className="reduce-row">
                  <ReduceForm
                    grant={g}
                    system={system}
                    onDone={async (replacement) => {
                      // The grant as it now stands first, then the notice: never "reduced" beside a stale "Active".
                      await load();
                      setReduced({ id: replacement.id, level: replacement.level });
                    }}
                  />
                </div>
              ) : null}
            </div>
          ) : null}
        </section>
        <section className="panel" data-testid="grant-history">
          <h2>{t('access.people.grant.history')}</h2>
          <GrantTimeline events={g.history} />
        </section>
      </div>
    </>
  );
}
