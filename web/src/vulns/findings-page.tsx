import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, navigate, useSearch } from '../app/router.tsx';
import { ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { ExportButtons } from './export-buttons.tsx';
import { EpssText, KevBadge, PriorityBadge, SlaDue, TriageBadge, VendorStatusBadge, slaSettled } from './vuln-badges.tsx';
import {
  LIFECYCLES,
  PRIORITIES,
  SLA_STATES,
  TRIAGE_STATES,
  VENDOR_STATUSES,
  vulnsApi,
  type Finding,
  type FindingFilter,
  type FindingList,
} from './vulns.api.ts';

const KEYS = [
  'view',
  'lifecycle',
  'triage',
  'priority',
  'vendorStatus',
  'kev',
  'sla',
  'ownerTeam',
  'asset',
  'operatedBy',
  'q',
] as const;

function filterFrom(search: string): FindingFilter {
  const p = new URLSearchParams(search);
  const f: FindingFilter = {};
  for (const k of KEYS) f[k] = p.get(k)?.trim() || undefined;
  return f;
}

function searchOf(f: FindingFilter): string {
  const q = new URLSearchParams();
  for (const k of KEYS) {
    const v = f[k]?.trim();
    if (v) q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * /vulns/findings: what needs action first (the server's default view), with one line counting what the view leaves
 * out by vendor status and triage, so nothing disappears silently. Filters live in the address, so views can be linked.
 */
export function FindingsPage() {
  const { t } = useI18n();
  const search = useSearch();
  const [filter, setFilter] = useState<FindingFilter>(() => filterFrom(search));
  const [draft, setDraft] = useState<FindingFilter>(filter);
  const [list, setList] = useState<FindingList | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const f = filterFrom(search);
    setFilter(f);
    setDraft(f);
  }, [search]);

  const load = useCallback(async (f: FindingFilter, cursor?: string) => {
    try {
      const res = await vulnsApi.findings(f, cursor);
      setList((prev) => (cursor && prev ? { ...res, items: [...prev.items, ...res.items] } : res));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(filter), [filter, load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/vulns/findings${searchOf(draft)}`);
  };
  const set = (k: keyof FindingFilter) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: e.target.value || undefined }));

  return (
    <>
      <PageHeader title={t('vulns.findings.title')}>
        <button type="button" className="btn" onClick={() => void load(filter)}>
          {t('common.refresh')}
        </button>
        <ExportButtons />
      </PageHeader>
      <form className="filter-bar" onSubmit={submit} role="search" aria-label={t('vulns.findings.filters')}>
        <TextField
          label={t('vulns.filter.search')}
          type="search"
          value={draft.q ?? ''}
          maxLength={200}
          placeholder="CVE-2024-…, openssl"
          onChange={set('q')}
        />
        <SelectField label={t('vulns.filter.view')} value={draft.view ?? ''} onChange={set('view')}>
          <option value="">{t('vulns.filter.needsAction')}</option>
          <option value="all">{t('vulns.filter.everything')}</option>
        </SelectField>
        <SelectField label={t('vulns.col.priority')} value={draft.priority ?? ''} onChange={set('priority')}>
          <option value="">{t('vulns.filter.all')}</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {t(`vulns.priority.${p}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('vulns.col.lifecycle')} value={draft.lifecycle ?? ''} onChange={set('lifecycle')}>
          <option value="">{t('vulns.filter.all')}</option>
          {LIFECYCLES.map((l) => (
            <option key={l} value={l}>
              {t(`vulns.lifecycle.${l}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('vulns.col.triage')} value={draft.triage ?? ''} onChange={set('triage')}>
          <option value="">{t('vulns.filter.all')}</option>
          {TRIAGE_STATES.map((s) => (
            <option key={s} value={s}>
              {t(`vulns.triage.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('vulns.col.vendorStatus')} value={draft.vendorStatus ?? ''} onChange={set('vendorStatus')}>
          <option value="">{t('vulns.filter.all')}</option>
          {VENDOR_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`vulns.vendorStatus.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('vulns.col.sla')} value={draft.sla ?? ''} onChange={set('sla')}>
          <option value="">{t('vulns.filter.all')}</option>
          {SLA_STATES.map((s) => (
            <option key={s} value={s}>
              {t(`vulns.slaState.${s}`)}
            </option>
          ))}
        </SelectField>
        <SelectField label="KEV" value={draft.kev ?? ''} onChange={set('kev')}>
          <option value="">{t('vulns.filter.all')}</option>
          <option value="true">{t('vulns.filter.kevOnly')}</option>
          <option value="false">{t('vulns.filter.notKev')}</option>
        </SelectField>
        <SelectField label={t('vulns.col.operatedBy')} value={draft.operatedBy ?? ''} onChange={set('operatedBy')}>
          <option value="">{t('vulns.operatedBy.provider')}</option>
          <option value="customer">{t('vulns.operatedBy.customer')}</option>
        </SelectField>
        <TextField label={t('vulns.col.owner')} value={draft.ownerTeam ?? ''} maxLength={100} onChange={set('ownerTeam')} />
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            {t('threats.filter.apply')}
          </button>
          {search ? (
            <Link to="/vulns/findings" className="btn">
              {t('threats.filter.clear')}
            </Link>
          ) : null}
        </div>
      </form>
      {list ? <HiddenLine list={list} filter={filter} /> : null}
      <ProblemAlert error={error} />
      {list === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {list ? (
        <FindingsTable
          items={list.items}
          empty={search ? t('vulns.findings.noMatch') : t('vulns.findings.empty')}
          testId="findings-table"
        />
      ) : null}
      {list?.nextCursor ? (
        <nav className="pager" aria-label={t('threats.more')}>
          <button type="button" className="btn" onClick={() => void load(filter, list.nextCursor ?? undefined)}>
            {t('threats.more')}
          </button>
          <span className="muted small">{t('threats.shown', { n: list.items.length })}</span>
        </nav>
      ) : null}
    </>
  );
}

/** Triage states that take a finding out of the "needs action" view. */
const TRIAGED_AWAY = ['not_affected', 'false_positive', 'risk_accepted'] as const;

/**
 * "+ 1,704 more outside this view: 412 no fix yet, 88 postponed, 1,204 unimportant · triaged away: 3 not affected —
 * show all": what the needs-action view leaves out, counted, one press away (issue 5 item 5: never dropped).
 */
function HiddenLine({ list, filter }: { list: FindingList; filter: FindingFilter }) {
  const { t, number } = useI18n();
  const o = list.outside;
  if (!o.total) return null;
  const byStatus = VENDOR_STATUSES.filter((s) => s !== 'fixed' && (o.byVendorStatus[s] ?? 0) > 0).map(
    (s) => `${number(o.byVendorStatus[s] ?? 0)} ${t(`vulns.vendorStatus.${s}`).toLowerCase()}`,
  );
  const triaged = TRIAGED_AWAY.filter((s) => (o.byTriage[s] ?? 0) > 0).map(
    (s) => `${number(o.byTriage[s] ?? 0)} ${t(`vulns.triage.${s}`).toLowerCase()}`,
  );
  const resolved = o.byLifecycle.verified_resolved ?? 0;
  const groups = [
    byStatus.join(', '),
    triaged.length ? `${t('vulns.findings.triagedAway')}: ${triaged.join(', ')}` : '',
    resolved ? `${number(resolved)} ${t('vulns.lifecycle.verified_resolved').toLowerCase()}` : '',
  ].filter(Boolean);
  return (
    <p className="hidden-line" data-testid="hidden-line">
      {t('vulns.findings.outside', { n: number(o.total) })}
      {groups.length ? `: ${groups.join(' · ')}` : ''} —{' '}
      <Link to={`/vulns/findings${searchOf({ ...filter, view: 'all' })}`} className="btn-link">
        {t('vulns.findings.showAll')}
      </Link>
    </p>
  );
}

/** Findings as a table: priority first, then what, where, installed against fixed, vendor and triage states, SLA, EPSS. */
export function FindingsTable({
  items,
  empty,
  testId,
  showAsset = true,
}: {
  items: Finding[];
  empty: string;
  testId: string;
  showAsset?: boolean;
}) {
  const { t } = useI18n();
  const now = Date.now();
  return (
    <ListTable
      testId={testId}
      columns={[
        t('vulns.col.priority'),
        t('vulns.col.vulnerability'),
        ...(showAsset ? [t('vulns.col.asset')] : []),
        t('vulns.col.installedFixed'),
        t('vulns.col.vendorStatus'),
        t('vulns.col.triage'),
        t('vulns.col.sla'),
        'EPSS',
      ]}
      empty={empty}
      isEmpty={items.length === 0}
    >
      {items.map((f) => (
        <tr key={f.id} data-finding={f.vuln} data-package={f.package}>
          <td>
            <PriorityBadge priority={f.priority} />
          </td>
          <td>
            <Link to={`/vulns/findings/${encodeURIComponent(f.id)}`} className="finding-id">
              {f.vuln}
            </Link>
            {f.kev ? <KevBadge /> : null}
            <span className="sub mono">{f.package}</span>
          </td>
          {showAsset ? (
            <td>
              <Link to={`/vulns/assets/${encodeURIComponent(f.asset.id)}`}>{f.asset.name}</Link>
              {f.operatedBy === 'customer' ? <span className="sub">{t('vulns.operatedBy.customer')}</span> : null}
            </td>
          ) : null}
          <td>
            <span className="version-pair">{f.installedVersion}</span>
            <span className="sub version-pair">
              → {f.fixedVersion ? <span className="version-fixed">{f.fixedVersion}</span> : t('vulns.finding.noFixedVersion')}
            </span>
            {f.lifecycle === 'patched_on_disk' || f.inForce === 'on_disk' ? (
              <span className="sub in-force-tag" data-testid="not-in-force">
                {t('vulns.inForce.short')}
              </span>
            ) : null}
          </td>
          <td>
            <VendorStatusBadge status={f.vendorStatus} />
          </td>
          <td>
            <TriageBadge state={f.triage.state} />
          </td>
          <td>
            <SlaDue dueAt={f.sla.dueAt} state={f.sla.state} operatedBy={f.operatedBy} settled={slaSettled(f)} now={now} />
          </td>
          <td className="num">
            <EpssText epss={f.epss} />
          </td>
        </tr>
      ))}
    </ListTable>
  );
}
