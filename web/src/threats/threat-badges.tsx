import { Badge, type Tone } from '../app/ui.tsx';
import { useI18n, type I18n } from '../i18n/i18n.tsx';
import type { Decision, Feed, GeoInfo, Tier } from './threats.api.ts';

const TIER_TONE: Record<Tier, Tone> = { enrich: 'info', decision: 'warn', page: 'bad' };

/** What an alert led to: enrichment only, a ban, or a page (someone was woken). */
export function TierBadge({ tier }: { tier: string }) {
  const { tMaybe } = useI18n();
  const tone = TIER_TONE[tier as Tier] ?? 'neutral';
  return <Badge tone={tone}>{tMaybe(`threats.tier.${tier}`) ?? tier}</Badge>;
}

const FEED_TONE: Record<Feed['status'], Tone> = { ok: 'ok', stale: 'warn', rejected: 'bad', failed: 'bad', never: 'neutral' };

export function FeedStatusBadge({ status }: { status: Feed['status'] }) {
  const { t } = useI18n();
  return (
    <Badge tone={FEED_TONE[status]} testId="feed-status">
      {t(`threats.feedStatus.${status}`)}
    </Badge>
  );
}

/** A decision's state now: removed by someone, run out, or still in force. */
export function decisionState(d: Decision, now = Date.now()): 'active' | 'expired' | 'removed' {
  if (d.deletedAt !== undefined) return 'removed';
  return d.until <= now ? 'expired' : 'active';
}

export function DecisionStateBadge({ d }: { d: Decision }) {
  const { t } = useI18n();
  const s = decisionState(d);
  return (
    <>
      <Badge tone={s === 'active' ? 'bad' : 'neutral'}>{t(`threats.decisionState.${s}`)}</Badge>
      {d.simulated ? (
        <>
          {' '}
          <Badge tone="info">{t('threats.simulated')}</Badge>
        </>
      ) : null}
    </>
  );
}

/** Country code and AS name of an address, or a dash where the offline database does not know it. */
export function GeoText({ geo }: { geo: GeoInfo | null | undefined }) {
  const { t } = useI18n();
  if (!geo || (!geo.country && !geo.asName && geo.asn === null)) return <span className="muted">–</span>;
  return (
    <span className="geo">
      {geo.country ? (
        <abbr className="cc" title={t('threats.country')}>
          {geo.country}
        </abbr>
      ) : null}
      {geo.asn !== null || geo.asName ? (
        <span className="asn" title={geo.asName ?? undefined}>
          {geo.asn !== null ? <span className="muted">AS{geo.asn} </span> : null}
          {geo.asName ?? ''}
        </span>
      ) : null}
    </span>
  );
}

/** "3 h ago" / "in 2 days" in the user's language. */
export function relativeTime(i18n: Pick<I18n, 'locale'>, at: number | string, now = Date.now()): string {
  const ms = (typeof at === 'string' ? Date.parse(at) : at) - now;
  const abs = Math.abs(ms);
  const fmt = new Intl.RelativeTimeFormat(i18n.locale, { numeric: 'auto', style: 'short' });
  if (abs < 60_000) return fmt.format(Math.round(ms / 1000), 'second');
  if (abs < 3_600_000) return fmt.format(Math.round(ms / 60_000), 'minute');
  if (abs < 86_400_000) return fmt.format(Math.round(ms / 3_600_000), 'hour');
  return fmt.format(Math.round(ms / 86_400_000), 'day');
}

/** A time shown as "3 h ago", with the full date and time on hover. */
export function Ago({ at, className }: { at: number | string; className?: string }) {
  const i18n = useI18n();
  const iso = typeof at === 'string' ? at : new Date(at).toISOString();
  return (
    <time dateTime={iso} title={i18n.dateTime(iso)} className={className ? `nowrap ${className}` : 'nowrap'}>
      {relativeTime(i18n, at)}
    </time>
  );
}

/** Seconds as the largest whole unit ("4 h", "7 d"). */
export function durationText(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Colour classes for scenarios; the order is the overview's (most alerts first), so the chart and legend agree. */
export const SCENARIO_COLOURS = 8;
export function scenarioClass(index: number): string {
  return index < 0 || index >= SCENARIO_COLOURS ? 'scn-other' : `scn-${index}`;
}
