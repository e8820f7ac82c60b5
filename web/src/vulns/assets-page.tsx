import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from '../app/router.tsx';
import { ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago } from '../threats/threat-badges.tsx';
import { CriticalityBadge, ExposureBadge, OperatedByBadge, RiskCounts } from './vuln-badges.tsx';
import { PRIORITIES, vulnsApi, type Asset, type PriorityCounts } from './vulns.api.ts';

/** A sort key that puts one critical above any number of highs, and so on down. */
export function riskKey(open: PriorityCounts): number[] {
  return PRIORITIES.map((p) => open[p] ?? 0);
}

/** Riskiest first: SLA breaches, then open findings from critical down, then by name. */
export function byRisk(a: Asset, b: Asset): number {
  if (a.slaBreached !== b.slaBreached) return b.slaBreached - a.slaBreached;
  const ka = riskKey(a.openFindings);
  const kb = riskKey(b.openFindings);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (kb[i] ?? 0) - (ka[i] ?? 0);
  return a.name.localeCompare(b.name);
}

/** /vulns/assets: hosts, services and applications with their risk, riskiest first; stale reporters stand out in red. */
export function AssetsPage() {
  const { t, number } = useI18n();
  const [items, setItems] = useState<Asset[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [q, setQ] = useState('');
  const [operatedBy, setOperatedBy] = useState('');

  const load = useCallback(async () => {
    try {
      setItems((await vulnsApi.assets()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (items ?? [])
      .filter((a) => !operatedBy || a.operatedBy === operatedBy)
      .filter(
        (a) =>
          !needle ||
          [a.name, a.ownerTeam, a.environment, a.site, a.distro ?? '', a.customer ?? ''].some((v) =>
            v.toLowerCase().includes(needle),
          ),
      )
      .sort(byRisk);
  }, [items, q, operatedBy]);

  return (
    <>
      <PageHeader title={t('vulns.assets.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <div className="filter-bar" role="search" aria-label={t('vulns.assets.filters')}>
        <TextField
          label={t('vulns.filter.search')}
          type="search"
          value={q}
          maxLength={100}
          onChange={(e) => setQ(e.target.value)}
        />
        <SelectField label={t('vulns.col.operatedBy')} value={operatedBy} onChange={(e) => setOperatedBy(e.target.value)}>
          <option value="">{t('vulns.filter.all')}</option>
          <option value="provider">{t('vulns.operatedBy.provider')}</option>
          <option value="customer">{t('vulns.operatedBy.customer')}</option>
        </SelectField>
      </div>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="assets-table"
          columns={[
            t('vulns.col.asset'),
            t('vulns.col.risk'),
            t('vulns.col.breaches'),
            t('vulns.col.exposureCriticality'),
            t('vulns.col.operatedBy'),
            t('vulns.col.lastReport'),
            t('vulns.col.system'),
            t('vulns.col.packages'),
          ]}
          empty={items.length ? t('vulns.assets.noMatch') : t('vulns.assets.empty')}
          isEmpty={shown.length === 0}
        >
          {shown.map((a) => (
            <tr key={a.id} data-asset={a.name}>
              <td>
                <Link to={`/vulns/assets/${encodeURIComponent(a.id)}`} className="strong nowrap">
                  {a.name}
                </Link>
                <span className="sub">{[tKind(t, a.kind), a.ownerTeam, a.environment, a.site].filter(Boolean).join(' · ')}</span>
              </td>
              <td>
                <RiskCounts open={a.openFindings} />
              </td>
              <td className={`num${a.slaBreached ? ' sla-breached' : ''}`} data-testid="breaches">
                {a.operatedBy === 'customer' ? <span className="muted">–</span> : number(a.slaBreached)}
              </td>
              <td>
                <span className="attr-badges">
                  <ExposureBadge exposure={a.exposure} />
                  <CriticalityBadge criticality={a.criticality} />
                </span>
              </td>
              <td>
                <OperatedByBadge operatedBy={a.operatedBy} />
                {a.customer ? <span className="sub">{a.customer}</span> : null}
              </td>
              <td data-testid="last-report" className={a.stale ? 'stale-report' : undefined}>
                {a.lastReportAt ? <Ago at={a.lastReportAt} /> : t('vulns.assets.neverReported')}
                {a.stale ? <span className="sub">{t('vulns.assets.stale')}</span> : null}
              </td>
              <td>
                <span className="mono small">{a.distro ?? '–'}</span>
                {a.kernelRelease ? <span className="sub mono">{a.kernelRelease}</span> : null}
              </td>
              <td className="num">{number(a.packageCount)}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

/** The asset kind in the user's language (unknown kinds as they are). */
export function tKind(
  t: (k: 'vulns.kind.host' | 'vulns.kind.service' | 'vulns.kind.application') => string,
  kind: string,
): string {
  return kind === 'host' || kind === 'service' || kind === 'application' ? t(`vulns.kind.${kind}`) : kind;
}
