import { useCallback, useEffect, useState } from 'react';
import { Link } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { PageHeader, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago } from '../threats/threat-badges.tsx';
import { TriageForm } from './triage-form.tsx';
import {
  EpssText,
  ExposureBadge,
  KevBadge,
  LifecycleBadge,
  OperatedByBadge,
  PriorityBadge,
  SlaDue,
  TriageBadge,
  VendorStatusBadge,
  slaSettled,
} from './vuln-badges.tsx';
import { vulnsApi, type FindingDetail, type FindingEvent } from './vulns.api.ts';

/** /vulns/findings/<id>: the vendor's word, what is installed against what fixes it, why this priority, the history, triage. */
export function FindingDetailPage({ id }: { id: string }) {
  const { t, tMaybe, dateTime, number } = useI18n();
  const session = useSession();
  const [f, setF] = useState<FindingDetail | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setF(await vulnsApi.finding(id));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  if (!f) return error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>;
  const inputs = f.priorityInputs;
  const inForce = inForceNote(f);
  const tr = f.triage;
  return (
    <>
      <p>
        <Link to="/vulns/findings">← {t('vulns.findings.back')}</Link>
      </p>
      <PageHeader title={`${f.vuln} · ${f.package} · ${f.asset.name}`}>
        <PriorityBadge priority={f.priority} />
        {f.kev ? <KevBadge ransomware={inputs?.kev?.ransomware} /> : null}
        <LifecycleBadge lifecycle={f.lifecycle} />
        <TriageBadge state={f.triage.state} />
      </PageHeader>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      <div className="vuln-grid-2">
        <section className="panel" data-testid="finding-host">
          <h2>{t('vulns.finding.onAsset')}</h2>
          <dl className="facts">
            <dt>{t('vulns.col.asset')}</dt>
            <dd>
              <Link to={`/vulns/assets/${encodeURIComponent(f.asset.id)}`} className="strong">
                {f.asset.name}
              </Link>{' '}
              <OperatedByBadge operatedBy={f.operatedBy} /> <ExposureBadge exposure={f.assetContext.exposure} />
            </dd>
            <dt>{t('vulns.finding.package')}</dt>
            <dd className="mono">
              {f.package} <span className="muted">({f.ecosystem})</span>
            </dd>
            <dt>{t('vulns.finding.installed')}</dt>
            <dd className="version-pair" data-testid="installed-version">
              {f.installedVersion}
            </dd>
            <dt>{t('vulns.finding.fixed')}</dt>
            <dd className="version-pair" data-testid="fixed-version">
              {f.fixedVersion ? <span className="version-fixed">{f.fixedVersion}</span> : t('vulns.finding.noFixedVersion')}
            </dd>
            <dt>{t('vulns.finding.binaries')}</dt>
            <dd>
              <ul className="binaries" data-testid="binaries">
                {f.binaries.map((b) => (
                  <li key={b.name} title={b.version}>
                    {b.name}
                  </li>
                ))}
              </ul>
            </dd>
          </dl>
          {inForce ? (
            <p className={`in-force-note ${inForce.cls}`} data-testid="in-force">
              {t(inForce.key)}
            </p>
          ) : null}
        </section>
        <section className="panel" data-testid="vendor-statement">
          <h2>{t('vulns.finding.vendor')}</h2>
          <dl className="facts">
            <dt>{t('vulns.col.vendorStatus')}</dt>
            <dd>
              <VendorStatusBadge status={f.vendorStatus} />
            </dd>
            <dt>{t('vulns.finding.severity')}</dt>
            <dd>
              {tMaybe(`vulns.severity.${f.severity}`) ?? f.severity}
              {f.urgency ? <span className="muted mono"> ({f.urgency})</span> : null}
            </dd>
            {f.note ? (
              <>
                <dt>{t('vulns.finding.note')}</dt>
                <dd>{f.note}</dd>
              </>
            ) : null}
            {f.statement.summary ? (
              <>
                <dt>{t('vulns.finding.summary')}</dt>
                <dd>{f.statement.summary}</dd>
              </>
            ) : null}
            {f.aliases.length ? (
              <>
                <dt>{t('vulns.finding.aliases')}</dt>
                <dd className="mono small">{f.aliases.join(', ')}</dd>
              </>
            ) : null}
            <dt>{t('vulns.finding.source')}</dt>
            <dd className="mono small">
              {f.source}
              {inputs?.advisoryFeedVersion ? <span className="muted"> · {inputs.advisoryFeedVersion}</span> : null}
            </dd>
          </dl>
        </section>
      </div>
      <div className="vuln-grid-2">
        <section className="panel" data-testid="finding-priority">
          <h2>
            {t('vulns.finding.priority')} <PriorityBadge priority={f.priority} />{' '}
            <span className="muted small">{t('vulns.finding.score', { n: f.priorityScore })}</span>
          </h2>
          {f.priorityReasons.length ? (
            <ol className="reasons" data-testid="priority-reasons">
              {f.priorityReasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ol>
          ) : null}
          {inputs ? (
            <dl className="facts facts-grid small">
              <dt>{t('vulns.finding.vendorSeverity')}</dt>
              <dd>{tMaybe(`vulns.severity.${inputs.vendorSeverity}`) ?? inputs.vendorSeverity}</dd>
              <dt>CVSS</dt>
              <dd>
                {inputs.cvss ? (
                  <>
                    <strong>{number(inputs.cvss.score)}</strong> <span className="muted">v{inputs.cvss.version}</span>
                    <div className="mono wrap small">{inputs.cvss.vector}</div>
                  </>
                ) : (
                  '–'
                )}
              </dd>
              <dt>EPSS</dt>
              <dd>
                <EpssText epss={inputs.epss?.score} />
                {inputs.epss ? (
                  <span className="muted">
                    {' '}
                    · {t('vulns.finding.percentile', { n: Math.round(inputs.epss.percentile * 100) })} · {inputs.epss.feedVersion}
                  </span>
                ) : null}
              </dd>
              <dt>KEV</dt>
              <dd>
                {inputs.kev ? (
                  <>
                    <KevBadge ransomware={inputs.kev.ransomware} />{' '}
                    <span className="muted">
                      {t('vulns.finding.kevAdded', { date: inputs.kev.dateAdded, due: inputs.kev.dueDate })} ·{' '}
                      {inputs.kev.feedVersion}
                    </span>
                  </>
                ) : (
                  t('vulns.finding.notKev')
                )}
              </dd>
              <dt>{t('vulns.col.exposure')}</dt>
              <dd>{tMaybe(`vulns.exposure.${inputs.exposure}`) ?? inputs.exposure}</dd>
              <dt>{t('vulns.col.criticality')}</dt>
              <dd>{tMaybe(`vulns.criticality.${inputs.criticality}`) ?? inputs.criticality}</dd>
            </dl>
          ) : null}
        </section>
        <section className="panel" data-testid="finding-sla">
          <h2>{t('vulns.finding.sla')}</h2>
          <p className="big-sla">
            <SlaDue dueAt={f.sla.dueAt} state={f.sla.state} operatedBy={f.operatedBy} settled={slaSettled(f)} />
            {f.sla.dueAt && f.operatedBy !== 'customer' ? (
              <span className="muted small"> · {dateTime(f.sla.dueAt, false)}</span>
            ) : null}
          </p>
          <dl className="facts small">
            {(
              [
                ['vulns.finding.published', f.publishedAt],
                ['vulns.finding.fixAvailable', f.fixAvailableAt],
                ['vulns.finding.firstDetected', f.firstDetectedAt],
                ['vulns.finding.lastDetected', f.lastDetectedAt],
                ['vulns.finding.patchedAt', f.patchedAt],
                ['vulns.finding.inForceAt', f.inForceAt],
              ] as const
            ).map(([k, v]) => (
              <Fact key={k} label={t(k)} value={v} />
            ))}
          </dl>
        </section>
      </div>
      <div className="vuln-grid-2">
        <section className="panel">
          <h2>{t('vulns.finding.history')}</h2>
          <Timeline events={f.history} />
        </section>
        <section className="panel" data-testid="triage-panel">
          <h2>{t('vulns.finding.triage')}</h2>
          <dl className="facts small">
            <dt>{t('vulns.col.triage')}</dt>
            <dd>
              <TriageBadge state={tr.state} />
            </dd>
            {tr.justification ? (
              <>
                <dt>{t('vulns.triage.justification')}</dt>
                <dd>{tMaybe(`vulns.justification.${tr.justification}`) ?? tr.justification}</dd>
              </>
            ) : null}
            {tr.detail ? (
              <>
                <dt>{t('vulns.triage.detail')}</dt>
                <dd className="wrap">{tr.detail}</dd>
              </>
            ) : null}
            {tr.acceptedUntil ? (
              <>
                <dt>{t('vulns.triage.acceptedUntil')}</dt>
                <dd>
                  {dateTime(tr.acceptedUntil, false)} {tr.acceptedBy ? <span className="muted">({tr.acceptedBy})</span> : null}
                </dd>
              </>
            ) : null}
            {tr.by ? (
              <>
                <dt>{t('vulns.triage.by')}</dt>
                <dd>
                  {tr.by} {tr.at ? <Ago at={tr.at} className="muted" /> : null}
                </dd>
              </>
            ) : null}
          </dl>
          {session.can('vulns.triage') ? (
            <TriageForm finding={f} canAccept={session.can('vulns.accept')} onSaved={(next) => setF(next)} onReload={load} />
          ) : (
            <p className="muted small">{t('vulns.triage.readOnly')}</p>
          )}
        </section>
      </div>
    </>
  );
}

function Fact({ label, value }: { label: string; value: string | null }) {
  const { dateTime } = useI18n();
  return (
    <>
      <dt>{label}</dt>
      <dd>{value ? dateTime(value, false) : <span className="muted">–</span>}</dd>
    </>
  );
}

/** Which sentence describes the fix's state on the host, if any needs saying. */
function inForceNote(f: FindingDetail): { key: Parameters<ReturnType<typeof useI18n>['t']>[0]; cls: string } | null {
  if (f.lifecycle === 'verified_resolved') return { key: 'vulns.inForce.verified', cls: 'in-force-ok' };
  if (f.inForce === 'on_disk' || f.lifecycle === 'patched_on_disk') return { key: 'vulns.inForce.onDisk', cls: '' };
  if (f.inForce === 'not_running') return { key: 'vulns.inForce.notRunning', cls: 'in-force-ok' };
  if (f.inForce === 'vulnerable') return { key: 'vulns.inForce.vulnerable', cls: 'in-force-vulnerable' };
  return null;
}

const EVENT_TONE: Record<string, string> = {
  detected: 'ev-bad',
  reopened: 'ev-bad',
  sla_breached: 'ev-bad',
  kev_added: 'ev-bad',
  risk_expired: 'ev-warn',
  sla_near: 'ev-warn',
  patched_on_disk: 'ev-warn',
  verified_resolved: 'ev-ok',
  triage: 'ev-info',
  priority: 'ev-info',
  vendor_status: 'ev-info',
};

/** The finding's history as a vertical timeline, oldest first, each event with who, when and what changed. */
export function Timeline({ events }: { events: FindingEvent[] }) {
  const { t, tMaybe, dateTime } = useI18n();
  if (!events.length) return <p className="muted">{t('vulns.finding.noHistory')}</p>;
  const sorted = [...events].sort((a, b) => a.at.localeCompare(b.at));
  const value = (kind: string, v: string) =>
    tMaybe(`vulns.triage.${v}`) ??
    tMaybe(`vulns.vendorStatus.${v}`) ??
    tMaybe(`vulns.priority.${v}`) ??
    tMaybe(`vulns.lifecycle.${v}`) ??
    v;
  return (
    <ol className="timeline" data-testid="timeline">
      {sorted.map((e, i) => (
        <li key={`${e.at}-${i}`} className={EVENT_TONE[e.kind] ?? 'ev-info'} data-kind={e.kind}>
          <div className="ev-head">
            <span className="ev-kind">{tMaybe(`vulns.event.${e.kind}`) ?? e.kind}</span>
            {e.from || e.to ? (
              <span className="ev-change">
                {e.from ? value(e.kind, e.from) : '∅'} → {e.to ? value(e.kind, e.to) : '∅'}
              </span>
            ) : null}
          </div>
          <div className="muted small">
            <time dateTime={e.at}>{dateTime(e.at)}</time> · {e.actor}
          </div>
          {e.detail ? <div className="ev-detail small">{e.detail}</div> : null}
        </li>
      ))}
    </ol>
  );
}
