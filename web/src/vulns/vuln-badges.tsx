import { Badge, type Tone } from '../app/ui.tsx';
import { slaDueText } from './sla-due.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  PRIORITIES,
  type Criticality,
  type Exposure,
  type Lifecycle,
  type OperatedBy,
  type Priority,
  type PriorityCounts,
  type SlaState,
  type TriageState,
  type VendorStatus,
} from './vulns.api.ts';

/** Whether no SLA deadline runs for a finding any more: triaged away, or verified resolved. */
export function slaSettled(f: { lifecycle: string; triage: { state: TriageState } }): boolean {
  return (
    f.lifecycle === 'verified_resolved' ||
    f.triage.state === 'not_affected' ||
    f.triage.state === 'false_positive' ||
    f.triage.state === 'risk_accepted'
  );
}

/** A priority as a solid coloured label (the same colours as the charts). */
export function PriorityBadge({ priority }: { priority: Priority }) {
  const { t } = useI18n();
  return (
    <span className={`prio-badge prio-bg-${priority}`} data-testid="priority">
      {t(`vulns.priority.${priority}`)}
    </span>
  );
}

/**
 * An asset's risk at a glance: one small coloured count per priority that has open findings ("2 5 3" in red, orange,
 * amber), or a quiet dash when nothing is open.
 */
export function RiskCounts({ open }: { open: PriorityCounts }) {
  const { t, number } = useI18n();
  const shown = PRIORITIES.filter((p) => (open[p] ?? 0) > 0);
  if (!shown.length)
    return (
      <span className="muted" data-testid="risk">
        {t('vulns.assets.noOpen')}
      </span>
    );
  return (
    <span className="risk-counts" data-testid="risk">
      {shown.map((p) => (
        <abbr
          key={p}
          className={`risk-count prio-bg-${p}`}
          title={`${t(`vulns.priority.${p}`)}: ${number(open[p] ?? 0)}`}
          data-priority={p}
        >
          {number(open[p] ?? 0)}
        </abbr>
      ))}
    </span>
  );
}

/** CISA KEV: known exploited; with known ransomware use it says so, louder. */
export function KevBadge({ ransomware }: { ransomware?: boolean | undefined }) {
  const { t } = useI18n();
  return (
    <span
      className={`kev-badge${ransomware ? ' kev-ransomware' : ''}`}
      title={ransomware ? t('vulns.kev.ransomwareHint') : t('vulns.kev.hint')}
      data-testid="kev"
    >
      KEV{ransomware ? ` · ${t('vulns.kev.ransomware')}` : ''}
    </span>
  );
}

/**
 * The SLA deadline as people say it: "3 days left", "breached 2 days ago", in the colour of its state; customer-managed
 * assets are outside the provider's SLA (P14) and say so.
 */
export function SlaDue({
  dueAt,
  state,
  operatedBy,
  settled = false,
  now = Date.now(),
}: {
  dueAt: string | null;
  state: SlaState;
  operatedBy?: OperatedBy | undefined;
  /** Triaged away (not affected, false positive, risk accepted) or verified resolved: no deadline runs. */
  settled?: boolean;
  now?: number;
}) {
  const { t, plural, dateTime } = useI18n();
  const due = slaDueText(dueAt, state, { operatedBy, settled, now });
  if (due.kind === 'outside')
    return (
      <span className="sla sla-outside" data-testid="sla">
        {t('vulns.sla.outside')}
      </span>
    );
  if (due.kind === 'none' || !dueAt)
    return (
      <span className="muted" data-testid="sla">
        –
      </span>
    );
  const text =
    due.kind === 'left'
      ? due.unit === 'h'
        ? t('vulns.sla.hoursLeft', { n: due.n })
        : plural('vulns.sla.daysLeft', due.n)
      : due.unit === 'h'
        ? t('vulns.sla.breachedHours', { n: due.n })
        : plural('vulns.sla.breachedDays', due.n);
  const cls = `sla-${due.tone}`;
  return (
    <time
      className={`sla ${cls}`}
      dateTime={dueAt}
      title={t('vulns.sla.dueAt', { time: dateTime(dueAt, false) })}
      data-testid="sla"
    >
      {text}
    </time>
  );
}

const VENDOR_TONE: Record<VendorStatus, Tone> = {
  fixed: 'info',
  not_affected: 'ok',
  no_fix: 'neutral',
  postponed: 'neutral',
  ignored: 'neutral',
  unimportant: 'neutral',
  end_of_life: 'warn',
  undetermined: 'neutral',
};

export function VendorStatusBadge({ status }: { status: VendorStatus }) {
  const { t } = useI18n();
  return (
    <Badge tone={VENDOR_TONE[status] ?? 'neutral'} testId="vendor-status">
      {t(`vulns.vendorStatus.${status}`)}
    </Badge>
  );
}

const TRIAGE_TONE: Record<TriageState, Tone> = {
  in_triage: 'neutral',
  exploitable: 'bad',
  not_affected: 'ok',
  false_positive: 'ok',
  risk_accepted: 'warn',
  resolved: 'ok',
};

export function TriageBadge({ state }: { state: TriageState }) {
  const { t } = useI18n();
  return (
    <Badge tone={TRIAGE_TONE[state] ?? 'neutral'} testId="triage-state">
      {t(`vulns.triage.${state}`)}
    </Badge>
  );
}

const LIFECYCLE_TONE: Record<Lifecycle, Tone> = { open: 'bad', patched_on_disk: 'warn', verified_resolved: 'ok' };

export function LifecycleBadge({ lifecycle }: { lifecycle: Lifecycle }) {
  const { t } = useI18n();
  return (
    <Badge tone={LIFECYCLE_TONE[lifecycle] ?? 'neutral'} testId="lifecycle">
      {t(`vulns.lifecycle.${lifecycle}`)}
    </Badge>
  );
}

const EXPOSURE_CLASS: Record<Exposure, string> = {
  internet: 'attr-hot',
  unknown: 'attr-warm',
  internal: 'attr-cool',
};

/** Internet exposure; "unknown" counts as internet for priority and SLA, and the tooltip says so. */
export function ExposureBadge({ exposure }: { exposure: Exposure }) {
  const { t } = useI18n();
  return (
    <span
      className={`attr-badge ${EXPOSURE_CLASS[exposure] ?? 'attr-cool'}`}
      title={exposure === 'unknown' ? t('vulns.exposure.unknownHint') : undefined}
      data-testid="exposure"
    >
      {t(`vulns.exposure.${exposure}`)}
    </span>
  );
}

const CRITICALITY_CLASS: Record<Criticality, string> = {
  critical: 'attr-hot',
  high: 'attr-warm',
  medium: 'attr-cool',
  low: 'attr-cool',
};

export function CriticalityBadge({ criticality }: { criticality: Criticality }) {
  const { t } = useI18n();
  return (
    <span className={`attr-badge ${CRITICALITY_CLASS[criticality] ?? 'attr-cool'}`} data-testid="criticality">
      {t(`vulns.criticality.${criticality}`)}
    </span>
  );
}

/** Provider-operated or customer-managed (P14: the customer's own software is reported, outside our SLA). */
export function OperatedByBadge({ operatedBy }: { operatedBy: OperatedBy }) {
  const { t } = useI18n();
  return (
    <Badge tone={operatedBy === 'customer' ? 'neutral' : 'info'} testId="operated-by">
      {t(`vulns.operatedBy.${operatedBy}`)}
    </Badge>
  );
}

/** An EPSS probability as a percentage with one decimal ("94.2 %"), or a dash. */
export function EpssText({ epss }: { epss: number | null | undefined }) {
  const { number } = useI18n();
  if (epss === null || epss === undefined) return <span className="muted">–</span>;
  const pct = Math.round(epss * 1000) / 10;
  return <span className={`num${epss >= 0.1 ? ' epss-high' : ''}`}>{number(pct)} %</span>;
}

/** A duration in milliseconds as the unit a person would use ("5 h", "3.5 d"), or a dash when there is no figure. */
export function durationMsText(ms: number | null | undefined, number: (n: number) => string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const h = ms / 3_600_000;
  if (h < 1) return `${number(Math.round(ms / 60_000))} min`;
  if (h < 48) return `${number(Math.round(h * 10) / 10)} h`;
  return `${number(Math.round((h / 24) * 10) / 10)} d`;
}
