import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { ListTable, Notice, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago } from '../threats/threat-badges.tsx';
import { tKind } from './assets-page.tsx';
import { FindingsTable } from './findings-page.tsx';
import { SbomUpload } from './sbom-upload.tsx';
import { CriticalityBadge, ExposureBadge, OperatedByBadge, RiskCounts } from './vuln-badges.tsx';
import {
  ASSET_KINDS,
  CRITICALITIES,
  EXPOSURES,
  vulnsApi,
  type Asset,
  type AssetUpdate,
  type Finding,
  type Snapshot,
} from './vulns.api.ts';

/** /vulns/assets/<id>: what the asset is (editable with vulns.write), what it reported when, and its findings. */
export function AssetDetailPage({ id }: { id: string }) {
  const { t, plural, number, dateTime } = useI18n();
  const session = useSession();
  const canWrite = session.can('vulns.write');
  const [asset, setAsset] = useState<Asset | null>(null);
  const [snapshots, setSnapshots] = useState<Snapshot[] | null>(null);
  const [findings, setFindings] = useState<Finding[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [a, s] = await Promise.all([vulnsApi.asset(id), vulnsApi.snapshots(id)]);
      // Every finding of this asset, on its own side (customer-managed findings are listed separately, P14).
      const f = await vulnsApi.findings({ asset: id, view: 'all', operatedBy: a.operatedBy });
      setAsset(a);
      setSnapshots(s.items);
      setFindings(f.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  if (!asset) return error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>;
  return (
    <>
      <p>
        <Link to="/vulns/assets">← {t('vulns.assets.back')}</Link>
      </p>
      <PageHeader title={asset.name}>
        <RiskCounts open={asset.openFindings} />
        {session.can('vulns.report') ? (
          <SbomUpload
            assetId={asset.id}
            onUploaded={(r) => {
              setNotice(
                r.identical ? t('vulns.sbom.identical') : [plural('vulns.sbom.done', r.packages), ...r.warnings].join(' '),
              );
              void load();
            }}
          />
        ) : null}
        {canWrite && !editing ? (
          <button type="button" className="btn" onClick={() => setEditing(true)}>
            {t('vulns.asset.edit')}
          </button>
        ) : null}
      </PageHeader>
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      <div className="vuln-grid-2">
        <section className="panel" data-testid="asset-facts">
          <h2>{t('vulns.asset.attributes')}</h2>
          {editing ? (
            <AssetForm
              asset={asset}
              onCancel={() => setEditing(false)}
              onSaved={(a) => {
                setAsset(a);
                setEditing(false);
                setNotice(t('vulns.asset.saved', { name: a.name }));
                void load();
              }}
            />
          ) : (
            <dl className="facts">
              <dt>{t('vulns.asset.kind')}</dt>
              <dd>{tKind(t, asset.kind)}</dd>
              <dt>{t('vulns.col.owner')}</dt>
              <dd>{asset.ownerTeam || <span className="muted">–</span>}</dd>
              <dt>{t('vulns.asset.environment')}</dt>
              <dd>{asset.environment || <span className="muted">–</span>}</dd>
              <dt>{t('vulns.asset.site')}</dt>
              <dd>{asset.site || <span className="muted">–</span>}</dd>
              <dt>{t('vulns.col.exposure')}</dt>
              <dd>
                <ExposureBadge exposure={asset.exposure} />
              </dd>
              <dt>{t('vulns.col.criticality')}</dt>
              <dd>
                <CriticalityBadge criticality={asset.criticality} />
              </dd>
              <dt>{t('vulns.col.operatedBy')}</dt>
              <dd>
                <OperatedByBadge operatedBy={asset.operatedBy} />
                {asset.customer ? <span className="muted"> {asset.customer}</span> : null}
                {asset.operatedBy === 'customer' ? <span className="outside-sla">{t('vulns.sla.outside')}</span> : null}
              </dd>
              {asset.description ? (
                <>
                  <dt>{t('vulns.asset.description')}</dt>
                  <dd className="wrap">{asset.description}</dd>
                </>
              ) : null}
            </dl>
          )}
        </section>
        <section className="panel">
          <h2>{t('vulns.asset.system')}</h2>
          <dl className="facts">
            <dt>{t('vulns.col.lastReport')}</dt>
            <dd className={asset.stale ? 'stale-report' : undefined} data-testid="asset-last-report">
              {asset.lastReportAt ? (
                <>
                  {dateTime(asset.lastReportAt)} (<Ago at={asset.lastReportAt} />)
                </>
              ) : (
                t('vulns.assets.neverReported')
              )}
              {asset.stale ? <span className="sub">{t('vulns.assets.stale')}</span> : null}
            </dd>
            <dt>{t('vulns.asset.distro')}</dt>
            <dd className="mono">{asset.distro ?? '–'}</dd>
            <dt>{t('vulns.asset.kernel')}</dt>
            <dd className="mono">{asset.kernelRelease ?? '–'}</dd>
            <dt>{t('vulns.col.packages')}</dt>
            <dd>{number(asset.packageCount)}</dd>
            <dt>{t('vulns.col.breaches')}</dt>
            <dd className={asset.slaBreached ? 'sla-breached' : undefined}>{number(asset.slaBreached)}</dd>
          </dl>
        </section>
      </div>
      <section className="panel">
        <h2>{t('vulns.asset.findings', { n: findings?.length ?? 0 })}</h2>
        {findings ? (
          <FindingsTable items={findings} empty={t('vulns.asset.noFindings')} testId="asset-findings" showAsset={false} />
        ) : null}
      </section>
      <section className="panel">
        <h2>{t('vulns.asset.snapshots')}</h2>
        {snapshots ? (
          <ListTable
            testId="snapshots-table"
            columns={[
              t('vulns.snapshot.received'),
              t('vulns.snapshot.format'),
              t('vulns.asset.distro'),
              t('vulns.asset.kernel'),
              t('vulns.col.packages'),
              t('vulns.snapshot.restart'),
              t('vulns.snapshot.reportedBy'),
            ]}
            empty={t('vulns.asset.noSnapshots')}
            isEmpty={snapshots.length === 0}
          >
            {snapshots.map((s) => (
              <tr key={s.id}>
                <td className="nowrap">
                  {dateTime(s.receivedAt)}
                  {s.collectedAt ? (
                    <span className="sub">{t('vulns.snapshot.collected', { time: dateTime(s.collectedAt) })}</span>
                  ) : null}
                </td>
                <td className="mono">{s.format}</td>
                <td className="mono">{s.distro ?? '–'}</td>
                <td className="mono">{s.kernelRelease ?? '–'}</td>
                <td className="num">
                  {number(s.packageCount)}
                  {s.notInstalled ? <span className="sub">{t('vulns.snapshot.notInstalled', { n: s.notInstalled })}</span> : null}
                </td>
                <td>
                  {s.rebootRequired ? <span className="badge badge-warn">{t('vulns.snapshot.reboot')}</span> : null}
                  {s.servicesNeedingRestart.length ? (
                    <span className="sub mono">{s.servicesNeedingRestart.join(', ')}</span>
                  ) : !s.rebootRequired ? (
                    <span className="muted">–</span>
                  ) : null}
                </td>
                <td className="small">
                  {s.reportedBy}
                  {s.warnings.length ? <span className="sub">{s.warnings.join('; ')}</span> : null}
                </td>
              </tr>
            ))}
          </ListTable>
        ) : null}
      </section>
    </>
  );
}

/** The asset's attributes as a form; only the fields people own (the agent reports the rest). */
function AssetForm({ asset, onSaved, onCancel }: { asset: Asset; onSaved: (a: Asset) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState<AssetUpdate>({
    name: asset.name,
    kind: asset.kind,
    ownerTeam: asset.ownerTeam,
    environment: asset.environment,
    site: asset.site,
    criticality: asset.criticality,
    exposure: asset.exposure,
    operatedBy: asset.operatedBy,
    customer: asset.customer ?? '',
    description: asset.description ?? '',
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof AssetUpdate) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const body: AssetUpdate = { ...draft, customer: draft.customer?.trim() ? draft.customer.trim() : null };
      onSaved(await vulnsApi.updateAsset(asset.id, body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const fields = ['kind', 'ownerTeam', 'environment', 'site', 'criticality', 'exposure', 'operatedBy', 'customer', 'description'];
  return (
    <form className="form-grid asset-form" onSubmit={(e) => void submit(e)} data-testid="asset-form" noValidate>
      <div className="span-all">
        <ProblemAlert error={error} claimed={fields} />
      </div>
      <SelectField label={t('vulns.asset.kind')} value={draft.kind} error={fieldError(error, 'kind')} onChange={set('kind')}>
        {ASSET_KINDS.map((k) => (
          <option key={k} value={k}>
            {t(`vulns.kind.${k}`)}
          </option>
        ))}
      </SelectField>
      <TextField
        label={t('vulns.col.owner')}
        value={draft.ownerTeam}
        maxLength={100}
        error={fieldError(error, 'ownerTeam')}
        onChange={set('ownerTeam')}
      />
      <TextField
        label={t('vulns.asset.environment')}
        value={draft.environment}
        maxLength={100}
        error={fieldError(error, 'environment')}
        onChange={set('environment')}
      />
      <TextField
        label={t('vulns.asset.site')}
        value={draft.site}
        maxLength={100}
        error={fieldError(error, 'site')}
        onChange={set('site')}
      />
      <SelectField
        label={t('vulns.col.exposure')}
        value={draft.exposure}
        error={fieldError(error, 'exposure')}
        onChange={set('exposure')}
      >
        {EXPOSURES.map((x) => (
          <option key={x} value={x}>
            {t(`vulns.exposure.${x}`)}
          </option>
        ))}
      </SelectField>
      <SelectField
        label={t('vulns.col.criticality')}
        value={draft.criticality}
        error={fieldError(error, 'criticality')}
        onChange={set('criticality')}
      >
        {CRITICALITIES.map((c) => (
          <option key={c} value={c}>
            {t(`vulns.criticality.${c}`)}
          </option>
        ))}
      </SelectField>
      <SelectField
        label={t('vulns.col.operatedBy')}
        value={draft.operatedBy}
        error={fieldError(error, 'operatedBy')}
        onChange={set('operatedBy')}
      >
        <option value="provider">{t('vulns.operatedBy.provider')}</option>
        <option value="customer">{t('vulns.operatedBy.customer')}</option>
      </SelectField>
      <TextField
        label={t('vulns.asset.customer')}
        value={draft.customer ?? ''}
        maxLength={200}
        optional
        error={fieldError(error, 'customer')}
        onChange={set('customer')}
      />
      <TextField
        className="span-all"
        label={t('vulns.asset.description')}
        value={draft.description ?? ''}
        maxLength={2000}
        optional
        error={fieldError(error, 'description')}
        onChange={set('description')}
      />
      <div className="button-row span-all">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('vulns.asset.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
