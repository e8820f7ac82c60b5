import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, navigate, useSearch } from '../app/router.tsx';
import { ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago, TierBadge } from './threat-badges.tsx';
import { TIERS, threatsApi, type Alert, type AlertFilter, type Tier } from './threats.api.ts';

function filterFrom(search: string): AlertFilter {
  const p = new URLSearchParams(search);
  const tier = p.get('tier');
  return {
    scenario: p.get('scenario') || undefined,
    ip: p.get('ip') || undefined,
    tier: (TIERS as readonly string[]).includes(tier ?? '') ? (tier as Tier) : undefined,
  };
}

function searchOf(f: AlertFilter): string {
  const q = new URLSearchParams();
  if (f.scenario) q.set('scenario', f.scenario);
  if (f.ip) q.set('ip', f.ip);
  if (f.tier) q.set('tier', f.tier);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** /threats/alerts: alerts newest first, filtered by scenario, address or tier (the filter lives in the address). */
export function AlertsPage() {
  const { t, number } = useI18n();
  const search = useSearch();
  const [filter, setFilter] = useState<AlertFilter>(() => filterFrom(search));
  const [draft, setDraft] = useState<AlertFilter>(filter);
  const [items, setItems] = useState<Alert[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  // A link from the overview (?ip=…) while this page is open changes the filter too.
  useEffect(() => {
    const f = filterFrom(search);
    setFilter(f);
    setDraft(f);
  }, [search]);

  const load = useCallback(async (f: AlertFilter, append: boolean) => {
    try {
      const res = await threatsApi.alerts(f);
      setItems((prev) => (append && prev ? [...prev, ...res.items] : res.items));
      setNext(res.nextBefore);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(filter, false), [filter, load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/threats/alerts${searchOf({ scenario: draft.scenario?.trim(), ip: draft.ip?.trim(), tier: draft.tier })}`);
  };

  return (
    <>
      <PageHeader title={t('threats.alerts.title')}>
        <button type="button" className="btn" onClick={() => void load(filter, false)}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <form className="filter-bar" onSubmit={submit} role="search" aria-label={t('threats.alerts.filters')}>
        <TextField
          label={t('threats.col.scenario')}
          value={draft.scenario ?? ''}
          maxLength={100}
          placeholder="ssh-bf"
          onChange={(e) => setDraft({ ...draft, scenario: e.target.value || undefined })}
        />
        <TextField
          label={t('threats.col.ip')}
          value={draft.ip ?? ''}
          maxLength={64}
          onChange={(e) => setDraft({ ...draft, ip: e.target.value || undefined })}
        />
        <SelectField
          label={t('threats.col.tier')}
          value={draft.tier ?? ''}
          onChange={(e) => setDraft({ ...draft, tier: (e.target.value || undefined) as Tier | undefined })}
        >
          <option value="">{t('threats.filter.all')}</option>
          {TIERS.map((tier) => (
            <option key={tier} value={tier}>
              {t(`threats.tier.${tier}`)}
            </option>
          ))}
        </SelectField>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            {t('threats.filter.apply')}
          </button>
          {search ? (
            <Link to="/threats/alerts" className="btn">
              {t('threats.filter.clear')}
            </Link>
          ) : null}
        </div>
      </form>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="alerts-table"
          columns={[
            t('threats.col.time'),
            t('threats.col.tier'),
            t('threats.col.scenario'),
            t('threats.col.source'),
            t('threats.col.events'),
            t('threats.col.decision'),
          ]}
          empty={search ? t('threats.alerts.noMatch') : t('threats.alerts.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((a) => (
            <tr key={a.id} data-alert={a.id}>
              <td>
                <Link to={`/threats/alerts/${a.id}`} className="strong">
                  <Ago at={a.createdAt} />
                </Link>
              </td>
              <td>
                <TierBadge tier={a.tier} />
              </td>
              <td className="mono">{a.scenario}</td>
              <td className="mono nowrap">
                {a.scopeValue ?? a.ip ?? '–'}
                {a.listedBy.map((f) => (
                  <span key={f} className="tag" title={t('threats.listedBy')}>
                    {f}
                  </span>
                ))}
              </td>
              <td className="num">
                {number(a.events)}
                {a.overflows > 1 ? (
                  <span className="muted small" title={t('threats.alert.overflows', { n: a.overflows })}>
                    {' '}
                    ×{a.overflows}
                  </span>
                ) : null}
              </td>
              <td>
                {a.decisionId ? (
                  <span className="badge badge-bad">{a.simulated ? t('threats.simulated') : t('threats.banned')}</span>
                ) : (
                  <span className="muted">–</span>
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      {next ? (
        <nav className="pager" aria-label={t('threats.more')}>
          <button type="button" className="btn" onClick={() => void load({ ...filter, before: next }, true)}>
            {t('threats.more')}
          </button>
          <span className="muted small">{t('threats.shown', { n: items?.length ?? 0 })}</span>
        </nav>
      ) : null}
    </>
  );
}
