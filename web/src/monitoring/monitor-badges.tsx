import { Badge } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import type { Monitor } from './monitoring.api.ts';

/** The state badge: paused, up, down or not checked yet. */
export function MonitorStateBadge({ m }: { m: Pick<Monitor, 'paused' | 'state'> }) {
  const { t } = useI18n();
  if (m.paused) return <Badge tone="neutral">{t('monitors.state.paused')}</Badge>;
  return <Badge tone={m.state === 'up' ? 'ok' : m.state === 'down' ? 'bad' : 'info'}>{t(`monitors.state.${m.state}`)}</Badge>;
}

/** What a monitor looks at, as one line. */
export function targetText(m: Monitor): string {
  const d = m.definition;
  const s = (k: string) => (typeof d[k] === 'string' || typeof d[k] === 'number' ? String(d[k]) : '');
  switch (d.type) {
    case 'http':
      return s('url');
    case 'dns':
      return `${s('query')} ${s('recordType')}${s('resolver') ? ` @${s('resolver')}` : ''}`;
    case 'heartbeat':
      return '';
    default:
      return `${s('host')}${s('port') ? `:${s('port')}` : ''}`;
  }
}
