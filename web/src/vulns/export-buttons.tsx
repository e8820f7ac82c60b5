import { useSession } from '../app/session.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { vulnsApi, type OperatedBy } from './vulns.api.ts';

/** Download buttons for one side's findings (provider-operated, or customer-managed: P14) as CycloneDX VEX and OpenVEX (plain links: the browser sends the session cookie). */
export function ExportButtons({ operatedBy = 'provider' }: { operatedBy?: OperatedBy }) {
  const { t } = useI18n();
  const session = useSession();
  if (!session.can('vulns.read')) return null;
  return (
    <span className="export-buttons" role="group" aria-label={t('vulns.export.label')}>
      <a
        className="btn"
        href={vulnsApi.exportUrl('cyclonedx', operatedBy)}
        download
        data-testid={`export-cyclonedx-${operatedBy}`}
        title={t('vulns.export.hint')}
      >
        {t('vulns.export.cyclonedx')}
      </a>
      <a
        className="btn"
        href={vulnsApi.exportUrl('openvex', operatedBy)}
        download
        data-testid={`export-openvex-${operatedBy}`}
        title={t('vulns.export.hint')}
      >
        {t('vulns.export.openvex')}
      </a>
    </span>
  );
}
