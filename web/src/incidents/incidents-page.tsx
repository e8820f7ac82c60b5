import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, usePath } from '../app/router.tsx';
import { PageHeader, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { CompletenessPanel } from './completeness-panel.tsx';
import { IncidentDetailPage } from './incident-detail.tsx';
import { Age, IncidentMarkers, SeverityBadge, StateBadge } from './incident-badges.tsx';
import { SEVERITIES, STATES, incidentsApi, type Incident, type IncidentFilter } from './incidents.api.ts';
import './incidents.css';

/** /incidents: the list; /incidents/<id>: one incident. */
export function IncidentsPage() {
  const path = usePath();
  const id = path.startsWith('/incidents/') ? decodeURIComponent(path.slice('/incidents/'.length)) : '';
  return id ? <IncidentDetailPage id={id} /> : <IncidentList />;
}

function IncidentList() {
  const { t, dateTime } = useI18n();
  const [filter, setFilter] = useState<IncidentFilter>({ state: 'open' });
  const [draft, setDraft] = useState<IncidentFilter>({ state: 'open' });
  const [items, setItems] = useState<Incident[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [showCompleteness, setShowCompleteness] = useState(false);

  const load = useCallback(async (f: IncidentFilter, append: boolean) => {
    try {
      const res = await incidentsApi.list(f);
      setItems((prev) => (append && prev ? [...prev, ...res.items] : res.items));
      setNext(res.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(filter, false), [filter, load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ ...draft });
  };

  return (
    <>
      <PageHeader title={t('incidents.title')}>
        <button type="button" className="btn" aria-expanded={showCompleteness} onClick={() => setShowCompleteness((v) => !v)}>
          {t('incidents.completeness.title')}
        </button>
        <button type="button" className="btn" onClick={() => void load(filter, false)}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      {showCompleteness ? <CompletenessPanel /> : null}
      <form className="filter-bar" onSubmit={submit} role="search" aria-label={t('incidents.filters')}>
        <SelectField
          label={t('incidents.col.state')}
          value={draft.state ?? ''}
          onChange={(e) => setDraft({ ...draft, state: e.target.value || undefined })}
        >
          <option value="open">{t('incidents.filter.open')}</option>
          <option value="">{t('incidents.filter.all')}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {t(`incidents.state.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('incidents.col.severity')}
          value={draft.severity ?? ''}
          onChange={(e) => setDraft({ ...draft, severity: e.target.value || undefined })}
        >
          <option value="">{t('incidents.filter.all')}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {t(`incidents.severity.${s}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('incidents.col.source')}
          value={draft.source ?? ''}
          maxLength={128}
          onChange={(e) => setDraft({ ...draft, source: e.target.value || undefined })}
        />
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            {t('incidents.applyFilters')}
          </button>
        </div>
      </form>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <div className="table-wrap">
          <table className="table" data-testid="incidents-table">
            <thead>
              <tr>
                <th scope="col">{t('incidents.col.state')}</th>
                <th scope="col">{t('incidents.col.severity')}</th>
                <th scope="col">{t('incidents.col.summary')}</th>
                <th scope="col">{t('incidents.col.source')}</th>
                <th scope="col">{t('incidents.col.opened')}</th>
                <th scope="col">{t('incidents.col.age')}</th>
                <th scope="col" className="num">
                  {t('incidents.col.signals')}
                </th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 ? (
                <tr>
                  <td colSpan={7} className="empty">
                    {t('incidents.empty')}
                  </td>
                </tr>
              ) : null}
              {items.map((i) => (
                <tr key={i.id} data-incident={i.id}>
                  <td>
                    <StateBadge state={i.state} />
                  </td>
                  <td>
                    <SeverityBadge severity={i.severity} />
                  </td>
                  <td>
                    <Link to={`/incidents/${i.id}`} className="strong">
                      {i.summary}
                    </Link>
                    <IncidentMarkers incident={i} />
                    <span className="sub mono">{i.dedupKey}</span>
                  </td>
                  <td className="nowrap">{i.source}</td>
                  <td className="nowrap">
                    <time dateTime={i.openedAt}>{dateTime(i.openedAt, false)}</time>
                  </td>
                  <td>
                    <Age since={i.openedAt} until={i.resolvedAt} />
                  </td>
                  <td className="num">{i.signalCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {next ? (
        <nav className="pager">
          <button type="button" className="btn" onClick={() => void load({ ...filter, cursor: next }, true)}>
            {t('incidents.more')}
          </button>
        </nav>
      ) : null}
    </>
  );
}
