import { Badge, type Tone } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import type { Incident, IncidentState, Severity } from './incidents.api.ts';

const STATE_TONE: Record<IncidentState, Tone> = { triggered: 'bad', acknowledged: 'warn', resolved: 'ok' };
const SEVERITY_TONE: Record<Severity, Tone> = { critical: 'bad', major: 'warn', minor: 'info', info: 'neutral' };

export function StateBadge({ state }: { state: IncidentState }) {
  const { t } = useI18n();
  return (
    <Badge tone={STATE_TONE[state]} testId="incident-state">
      {t(`incidents.state.${state}`)}
    </Badge>
  );
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  const { t } = useI18n();
  return <Badge tone={SEVERITY_TONE[severity]}>{t(`incidents.severity.${severity}`)}</Badge>;
}

/** Flapping and expected (maintenance) markers. */
export function IncidentMarkers({ incident }: { incident: Incident }) {
  const { t } = useI18n();
  return (
    <>
      {incident.flapping ? (
        <span className="tag tag-flapping" title={t('incidents.flappingHint')}>
          {t('incidents.flapping')}
        </span>
      ) : null}
      {incident.expected ? (
        <span className="tag tag-expected" title={t('incidents.expectedHint')}>
          {t('incidents.expected')}
          {incident.changeRef ? ` · ${incident.changeRef}` : ''}
        </span>
      ) : null}
    </>
  );
}

/** "12 min", "3 h 5 min", "2 d 4 h" since a time. */
export function Age({ since, until }: { since: string; until?: string | null | undefined }) {
  const { t } = useI18n();
  const end = until ? Date.parse(until) : Date.now();
  const mins = Math.max(0, Math.floor((end - Date.parse(since)) / 60_000));
  const text =
    mins < 60
      ? t('incidents.age.minutes', { n: mins })
      : mins < 1440
        ? t('incidents.age.hours', { h: Math.floor(mins / 60), m: mins % 60 })
        : t('incidents.age.days', { d: Math.floor(mins / 1440), h: Math.floor((mins % 1440) / 60) });
  return <span className="nowrap">{text}</span>;
}
