import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { Notice, PageHeader, ProblemAlert, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Age, IncidentMarkers, SeverityBadge, StateBadge } from './incident-badges.tsx';
import { incidentsApi, type IncidentDetail, type PostmortemAction, type TimelineEntry } from './incidents.api.ts';
import { PagesPanel } from './pages-panel.tsx';

/** The display name a timeline entry recorded for an actor reference (the incident row keeps only the reference). */
function nameOf(inc: IncidentDetail, ref: string | null, kind: 'ack' | 'resolution'): string {
  const hit = [...inc.timeline].reverse().find((e) => e.kind === kind && e.actor === ref);
  return hit?.actorName ?? ref ?? '';
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/** One incident: facts, actions (ack, resolve, note), the timeline and the postmortem. */
export function IncidentDetailPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [inc, setInc] = useState<IncidentDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Bumped on every reload so the pages panel reloads with the incident.
  const [version, setVersion] = useState(0);

  const load = useCallback(async () => {
    try {
      setInc(await incidentsApi.get(id));
      setVersion((v) => v + 1);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const act = async (fn: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      await fn();
      // Reload before the notice so the page never says "Acknowledged" beside a state that still reads "Triggered".
      await load();
      setNotice(done);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!inc) {
    return (
      <>
        <p>
          <Link to="/incidents">← {t('incidents.back')}</Link>
        </p>
        <ProblemAlert error={error} />
        {!error ? <p className="muted">{t('app.loading')}</p> : null}
      </>
    );
  }
  const canAck = session.can('incidents.ack') && inc.state === 'triggered';
  const canResolve = session.can('incidents.resolve') && inc.state !== 'resolved';
  return (
    <>
      <p>
        <Link to="/incidents">← {t('incidents.back')}</Link>
      </p>
      <PageHeader title={inc.summary}>
        {canAck ? (
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy}
            onClick={() => void act(() => incidentsApi.ack(inc.id), t('incidents.acked'))}
            data-testid="incident-ack"
          >
            {t('incidents.ack')}
          </button>
        ) : null}
        {canResolve ? (
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => void act(() => incidentsApi.resolve(inc.id), t('incidents.resolvedNotice'))}
            data-testid="incident-resolve"
          >
            {t('incidents.resolve')}
          </button>
        ) : null}
      </PageHeader>
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={actionError} onDismiss={() => setActionError(null)} />
      <section className="panel incident-facts">
        <div className="incident-badges">
          <StateBadge state={inc.state} /> <SeverityBadge severity={inc.severity} />
          <IncidentMarkers incident={inc} />
        </div>
        <dl className="facts facts-grid">
          <dt>{t('incidents.fact.key')}</dt>
          <dd className="mono">{inc.dedupKey}</dd>
          <dt>{t('incidents.col.source')}</dt>
          <dd>{inc.source}</dd>
          {inc.component ? (
            <>
              <dt>{t('incidents.fact.component')}</dt>
              <dd>{inc.component}</dd>
            </>
          ) : null}
          <dt>{t('incidents.col.opened')}</dt>
          <dd>
            {dateTime(inc.openedAt)} (<Age since={inc.openedAt} until={inc.resolvedAt} />)
          </dd>
          {inc.acknowledgedAt ? (
            <>
              <dt>{t('incidents.fact.acknowledged')}</dt>
              <dd>
                {dateTime(inc.acknowledgedAt)} · {nameOf(inc, inc.acknowledgedBy, 'ack')}
              </dd>
            </>
          ) : null}
          {inc.resolvedAt ? (
            <>
              <dt>{t('incidents.fact.resolved')}</dt>
              <dd>
                {dateTime(inc.resolvedAt)} ·{' '}
                {inc.resolvedBy === 'signal' ? t('incidents.bySignal') : nameOf(inc, inc.resolvedBy, 'resolution')}
              </dd>
            </>
          ) : null}
          <dt>{t('incidents.col.signals')}</dt>
          <dd>
            {inc.signalCount}
            {inc.reopenCount > 0 ? ` · ${t('incidents.fact.reopened', { n: inc.reopenCount })}` : ''}
          </dd>
          {inc.childKeys.length > 0 ? (
            <>
              <dt>{t('incidents.fact.children')}</dt>
              <dd className="mono">{inc.childKeys.join(', ')}</dd>
            </>
          ) : null}
        </dl>
      </section>
      {session.can('oncall.read') ? <PagesPanel incidentId={inc.id} version={version} /> : null}
      <div className="incident-columns">
        <section className="panel">
          <h2>{t('incidents.timeline')}</h2>
          <ol className="timeline" data-testid="incident-timeline">
            {inc.timeline.map((e) => (
              <TimelineItem key={e.seq} entry={e} />
            ))}
          </ol>
          {session.can('incidents.note') ? <NoteForm id={inc.id} onAdded={() => void load()} /> : null}
        </section>
        <section className="panel">
          <h2>{t('incidents.postmortem')}</h2>
          {inc.state !== 'resolved' ? <p className="muted">{t('incidents.postmortemAfterResolve')}</p> : null}
          {inc.state === 'resolved' && session.can('incidents.postmortem') ? (
            <PostmortemForm incident={inc} onSaved={() => void act(() => Promise.resolve(), t('incidents.postmortemSaved'))} />
          ) : null}
          {inc.state === 'resolved' && !session.can('incidents.postmortem') && inc.postmortem ? (
            <dl className="facts">
              <dt>{t('incidents.pm.summary')}</dt>
              <dd className="wrap">{inc.postmortem.summary}</dd>
              <dt>{t('incidents.pm.rootCause')}</dt>
              <dd className="wrap">{inc.postmortem.rootCause}</dd>
            </dl>
          ) : null}
        </section>
      </div>
    </>
  );
}

function TimelineItem({ entry: e }: { entry: TimelineEntry }) {
  const { t, dateTime } = useI18n();
  const b = e.body;
  let text: string;
  switch (e.kind) {
    case 'signal':
    case 'child':
      text = t(e.kind === 'child' ? 'incidents.tl.child' : 'incidents.tl.signal', {
        status: t(b['status'] === 'resolved' ? 'incidents.signal.resolved' : 'incidents.signal.firing'),
        summary: str(b['summary']),
        key: str(b['dedupKey']),
      });
      break;
    case 'state':
      text = b['reopened'] ? t('incidents.tl.reopened') : t('incidents.tl.opened');
      break;
    case 'ack':
      text = t('incidents.tl.ack', { who: e.actorName ?? str(e.actor) });
      break;
    case 'resolution':
      text =
        b['by'] === 'signal'
          ? t('incidents.tl.resolvedBySignal')
          : t('incidents.tl.resolvedBy', { who: e.actorName ?? str(e.actor) });
      break;
    case 'note':
      text = str(b['text']);
      break;
    case 'notification':
      text = t('incidents.tl.notification', {
        channel: str(b['channel']),
        recipient: str(b['recipient']),
        outcome: str(b['outcome']),
      });
      break;
    case 'escalation':
      text =
        b['target'] === 'nobody'
          ? t('incidents.tl.nobodyPaged')
          : b['target'] === 'end'
            ? t('incidents.tl.escalationEnded')
            : t('incidents.tl.escalation', { level: str(b['level']), target: str(b['target']) });
      break;
    case 'flapping':
      text = b['flapping']
        ? t('incidents.tl.flapping', { n: str(b['changes']), minutes: str(b['windowMinutes']) })
        : t('incidents.tl.stable');
      break;
    case 'postmortem':
      text = t('incidents.tl.postmortem', { who: e.actorName ?? str(e.actor) });
      break;
  }
  const extra =
    e.kind === 'notification'
      ? str(b['receipt'] ?? b['error'])
      : e.kind === 'resolution'
        ? str(b['note'])
        : e.kind === 'escalation'
          ? str(b['reason'] ?? '')
          : '';
  return (
    <li className={`timeline-item timeline-${e.kind}`} data-kind={e.kind}>
      <span className="timeline-dot" aria-hidden="true" />
      <div className="timeline-head">
        <time dateTime={e.at}>{dateTime(e.at)}</time>
        <span className="timeline-kind">{t(`incidents.kind.${e.kind}`)}</span>
        {e.kind === 'note' && e.actorName ? <span className="muted">{e.actorName}</span> : null}
        {b['expected'] ? (
          <span className="tag tag-expected">
            {t('incidents.expected')} · {str(b['changeRef'])}
          </span>
        ) : null}
        {(e.kind === 'signal' || e.kind === 'child') && b['page'] === false && b['status'] === 'firing' ? (
          <span className="tag">{t('incidents.notPaged')}</span>
        ) : null}
      </div>
      <div className={e.kind === 'note' ? 'timeline-text wrap' : 'timeline-text'}>{text}</div>
      {extra ? <div className="timeline-extra muted">{extra}</div> : null}
    </li>
  );
}

function NoteForm({ id, onAdded }: { id: string; onAdded: () => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await incidentsApi.note(id, text.trim());
      setText('');
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form-stack note-form" onSubmit={(e) => void submit(e)}>
      <ProblemAlert error={error} claimed={['text']} />
      <div className="field">
        <label htmlFor="incident-note">{t('incidents.addNote')}</label>
        <textarea id="incident-note" rows={3} maxLength={4000} value={text} onChange={(e) => setText(e.target.value)} />
      </div>
      <div className="button-row">
        <button type="submit" className="btn" disabled={busy || !text.trim()}>
          {t('incidents.saveNote')}
        </button>
      </div>
    </form>
  );
}

function PostmortemForm({ incident, onSaved }: { incident: IncidentDetail; onSaved: () => void }) {
  const { t } = useI18n();
  const [summary, setSummary] = useState(incident.postmortem?.summary ?? '');
  const [rootCause, setRootCause] = useState(incident.postmortem?.rootCause ?? '');
  const [actions, setActions] = useState((incident.postmortem?.actions ?? []).map((a) => a.text).join('\n'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const previous = incident.postmortem?.actions ?? [];
    const list: PostmortemAction[] = actions
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((text) => previous.find((p) => p.text === text) ?? { text, done: false });
    try {
      await incidentsApi.postmortem(incident.id, { summary: summary.trim(), rootCause: rootCause.trim(), actions: list });
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="form-stack" onSubmit={(e) => void submit(e)} data-testid="postmortem-form">
      <ProblemAlert error={error} claimed={['summary', 'rootCause']} />
      <div className="field">
        <label htmlFor="pm-summary">{t('incidents.pm.summary')}</label>
        <textarea
          id="pm-summary"
          rows={3}
          maxLength={20000}
          value={summary}
          onChange={(e) => setSummary(e.target.value)}
          required
        />
        {fieldError(error, 'summary') ? <span className="field-error">{fieldError(error, 'summary')}</span> : null}
      </div>
      <div className="field">
        <label htmlFor="pm-root">{t('incidents.pm.rootCause')}</label>
        <textarea
          id="pm-root"
          rows={3}
          maxLength={20000}
          value={rootCause}
          onChange={(e) => setRootCause(e.target.value)}
          required
        />
      </div>
      <div className="field">
        <label htmlFor="pm-actions">{t('incidents.pm.actions')}</label>
        <textarea
          id="pm-actions"
          rows={3}
          value={actions}
          onChange={(e) => setActions(e.target.value)}
          aria-describedby="pm-actions-hint"
        />
        <span className="field-hint" id="pm-actions-hint">
          {t('incidents.pm.actionsHint')}
        </span>
      </div>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy || !summary.trim() || !rootCause.trim()}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
