import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { ConfirmButton, ListTable, Notice, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../app/ui.tsx';
import { useI18n, type MessageKey } from '../i18n/i18n.tsx';
import { Ago, DecisionStateBadge, decisionState } from './threat-badges.tsx';
import { DECISION_STATES, threatsApi, type Decision, type DecisionFilter, type DecisionState } from './threats.api.ts';

/** /threats/decisions: bans, searchable, with one-click unban and a manual ban form for those allowed to ban. */
export function DecisionsPage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const canBan = session.can('threats.ban');
  const [filter, setFilter] = useState<DecisionFilter>({ state: 'active' });
  const [q, setQ] = useState('');
  const [items, setItems] = useState<Decision[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [showBan, setShowBan] = useState(false);

  const load = useCallback(async (f: DecisionFilter, append: boolean) => {
    try {
      const res = await threatsApi.decisions(f);
      setItems((prev) => (append && prev ? [...prev, ...res.items] : res.items));
      setNext(res.nextBeforeSeq);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(filter, false), [filter, load]);

  // Search as the person types, a moment after they stop.
  useEffect(() => {
    const timer = setTimeout(
      () => setFilter((f) => (f.q === (q.trim() || undefined) ? f : { ...f, q: q.trim() || undefined })),
      300,
    );
    return () => clearTimeout(timer);
  }, [q]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter((f) => ({ ...f, q: q.trim() || undefined }));
  };

  const unban = async (d: Decision) => {
    try {
      await threatsApi.unban(d.id);
      // Gone from the list at once; the reload brings the server's truth.
      setItems((prev) => prev?.filter((x) => x.id !== d.id || filter.state !== 'active') ?? null);
      setNotice(t('threats.unbanned', { target: d.value }));
      await load(filter, false);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <PageHeader title={t('threats.decisions.title')}>
        <button type="button" className="btn" onClick={() => void load(filter, false)}>
          {t('common.refresh')}
        </button>
        {canBan ? (
          <button
            type="button"
            className="btn btn-primary"
            aria-expanded={showBan}
            onClick={() => {
              setNotice(null);
              setShowBan((v) => !v);
            }}
          >
            {t('threats.ban.open')}
          </button>
        ) : null}
      </PageHeader>
      {showBan && canBan ? (
        <BanForm
          onDone={(d) => {
            setShowBan(false);
            setNotice(t('threats.ban.done', { target: d.value }));
            void load(filter, false);
          }}
          onCancel={() => setShowBan(false)}
        />
      ) : null}
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <form className="filter-bar" onSubmit={submit} role="search" aria-label={t('threats.decisions.search')}>
        <TextField
          label={t('threats.decisions.search')}
          type="search"
          className="search-wide"
          value={q}
          maxLength={100}
          placeholder={t('threats.decisions.searchHint')}
          onChange={(e) => setQ(e.target.value)}
        />
        <SelectField
          label={t('threats.col.state')}
          value={filter.state}
          onChange={(e) => setFilter((f) => ({ ...f, state: e.target.value as DecisionState }))}
        >
          {DECISION_STATES.map((s) => (
            <option key={s} value={s}>
              {t(`threats.decisionFilter.${s}`)}
            </option>
          ))}
        </SelectField>
      </form>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="decisions-table"
          columns={[
            t('threats.col.target'),
            t('threats.col.state'),
            t('threats.col.scenario'),
            t('threats.col.reason'),
            t('threats.col.since'),
            t('threats.col.until'),
            ...(canBan ? [<span className="sr-only">{t('threats.col.actions')}</span>] : []),
          ]}
          empty={filter.q ? t('threats.decisions.noMatch') : t(`threats.decisions.empty.${filter.state}`)}
          isEmpty={items.length === 0}
        >
          {items.map((d) => (
            <tr key={d.id} data-decision={d.value} className={decisionState(d) === 'active' ? undefined : 'row-muted'}>
              <td className="mono strong nowrap">{d.value}</td>
              <td className="nowrap">
                <DecisionStateBadge d={d} />
              </td>
              <td className="nowrap">
                <span className="mono">{d.scenario}</span>
                {d.offence > 1 ? <span className="tag">{t('threats.decision.offence', { n: d.offence })}</span> : null}
              </td>
              <td className="wrap">{d.alertId ? <Link to={`/threats/alerts/${d.alertId}`}>{d.reason}</Link> : d.reason}</td>
              <td>
                <Ago at={d.createdAt} />
              </td>
              <td title={dateTime(d.until)}>
                {d.deletedAt !== undefined ? (
                  <span className="muted">
                    {t('threats.decision.removed')} <Ago at={d.deletedAt} />
                  </span>
                ) : (
                  <Ago at={d.until} />
                )}
              </td>
              {canBan ? (
                <td className="nowrap cell-action">
                  {decisionState(d) === 'active' ? (
                    <ConfirmButton
                      label={t('threats.unban')}
                      question={t('threats.confirmUnban', { target: d.value })}
                      onConfirm={() => void unban(d)}
                    />
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </ListTable>
      ) : null}
      {next !== null ? (
        <nav className="pager" aria-label={t('threats.more')}>
          <button type="button" className="btn" onClick={() => void load({ ...filter, beforeSeq: next }, true)}>
            {t('threats.more')}
          </button>
          <span className="muted small">{t('threats.shown', { n: items?.length ?? 0 })}</span>
        </nav>
      ) : null}
    </>
  );
}

const DURATIONS: { seconds: number; label: MessageKey }[] = [
  { seconds: 3600, label: 'threats.duration.1h' },
  { seconds: 4 * 3600, label: 'threats.duration.4h' },
  { seconds: 24 * 3600, label: 'threats.duration.24h' },
  { seconds: 7 * 86_400, label: 'threats.duration.7d' },
  { seconds: 30 * 86_400, label: 'threats.duration.30d' },
];

/** Ban an address or network by hand: target, how long, why; optionally recorded only (simulated). */
function BanForm({ onDone, onCancel }: { onDone: (d: Decision) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [target, setTarget] = useState('');
  const [duration, setDuration] = useState(String(4 * 3600));
  const [reason, setReason] = useState('');
  const [simulated, setSimulated] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(
        await threatsApi.ban({ target: target.trim(), durationSeconds: Number(duration), reason: reason.trim(), simulated }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel">
      <h2>{t('threats.ban.title')}</h2>
      <form className="ban-form" onSubmit={(e) => void submit(e)} data-testid="ban-form">
        <TextField
          label={t('threats.ban.target')}
          hint={t('threats.ban.targetHint')}
          value={target}
          required
          maxLength={64}
          className="mono-input"
          onChange={(e) => setTarget(e.target.value)}
          error={fieldError(error, 'target')}
        />
        <SelectField label={t('threats.ban.duration')} value={duration} onChange={(e) => setDuration(e.target.value)}>
          {DURATIONS.map((d) => (
            <option key={d.seconds} value={d.seconds}>
              {t(d.label)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('threats.col.reason')}
          value={reason}
          required
          minLength={3}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
          error={fieldError(error, 'reason')}
        />
        <label className="check">
          <input type="checkbox" checked={simulated} onChange={(e) => setSimulated(e.target.checked)} />{' '}
          {t('threats.ban.simulated')}
        </label>
        <ProblemAlert error={error} claimed={['target', 'reason']} />
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('threats.ban.submit')}
          </button>
          <button type="button" className="btn" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </section>
  );
}
