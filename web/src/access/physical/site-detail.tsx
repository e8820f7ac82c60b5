import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { physicalApi, type SiteDetail } from './physical.api.ts';
import './physical.css';

/** /access/sites/<id>: the site's facts, its doors with the cameras covering them, its cameras and who may enter. */
export function SiteDetailPage({ id }: { id: string }) {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [site, setSite] = useState<SiteDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setSite(await physicalApi.site(id));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  if (!site) return error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>;
  return (
    <>
      <p>
        <Link to="/access/sites">← {t('access.physical.sites.back')}</Link>
      </p>
      <PageHeader title={site.name} />
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {site.residencyViolation ? (
        <div className="alert alert-error" role="alert" data-testid="residency-alert">
          <div className="alert-body">
            <strong>{t('access.physical.residency.violation')}</strong>
            <span className="alert-detail">{site.residencyViolation}</span>
          </div>
        </div>
      ) : null}
      {site.entrancesWithoutCamera.length ? (
        <div className="alert alert-warn" role="status" data-testid="camera-gap-alert">
          <div className="alert-body">
            <strong>{t('access.physical.cameraGap.alert', { n: site.entrancesWithoutCamera.length })}</strong>
            <span className="alert-detail">{site.entrancesWithoutCamera.map((d) => d.name).join(', ')}</span>
          </div>
        </div>
      ) : null}
      <div className="columns">
        <section className="panel">
          <h2>{t('access.physical.site.facts')}</h2>
          <dl className="facts">
            <dt>{t('access.physical.col.country')}</dt>
            <dd className="mono">{site.country}</dd>
            <dt>{t('access.physical.address')}</dt>
            <dd>{site.address || '–'}</dd>
            <dt>{t('access.physical.operator')}</dt>
            <dd>{site.operator || '–'}</dd>
            <dt>{t('access.physical.owner')}</dt>
            <dd>{site.ownerName ?? '–'}</dd>
            <dt>{t('access.physical.col.holds')}</dt>
            <dd>{site.holds.map((h) => t(`access.physical.holds.${h}`)).join(', ') || '–'}</dd>
          </dl>
        </section>
        <section className="panel">
          <h2>{t('access.physical.doors')}</h2>
          <ListTable
            testId="doors-table"
            columns={[t('access.physical.door'), t('access.physical.entrance'), t('access.physical.cameras')]}
            empty={t('access.physical.doors.empty')}
            isEmpty={site.doorList.length === 0}
          >
            {site.doorList.map((d) => (
              <tr key={d.id} data-door={d.name}>
                <td className="strong">{d.name}</td>
                <td>{d.entrance ? t('common.yes') : t('access.physical.no')}</td>
                <td>
                  {d.cameraGap ? (
                    <Badge tone="warn" testId="door-gap">
                      {t('access.physical.cameraGap.door')}
                    </Badge>
                  ) : (
                    d.cameras.map((c) => c.name).join(', ') || <span className="muted">–</span>
                  )}
                </td>
              </tr>
            ))}
          </ListTable>
          {session.can('access.write') ? <AddDoorCamera site={site} onDone={() => void load()} onError={setError} /> : null}
        </section>
      </div>
      <section className="panel">
        <h2>{t('access.physical.access')}</h2>
        <ListTable
          testId="site-access-table"
          columns={[
            t('access.physical.col.person'),
            t('access.physical.col.need'),
            t('access.physical.col.badges'),
            t('access.physical.col.expires'),
          ]}
          empty={t('access.physical.access.empty')}
          isEmpty={site.access.length === 0}
        >
          {site.access.map((a) => (
            <tr key={a.grantId}>
              <td className="strong">
                {a.personName}
                {a.personStatus === 'left' ? (
                  <>
                    {' '}
                    <Badge tone="bad">{t('access.physical.leaver')}</Badge>
                  </>
                ) : null}
              </td>
              <td>{a.justification}</td>
              <td className="mono">{a.badges.join(', ') || '–'}</td>
              <td>{a.expiresAt ? dateTime(a.expiresAt, false) : t('access.physical.noExpiry')}</td>
            </tr>
          ))}
        </ListTable>
      </section>
    </>
  );
}

function AddDoorCamera({ site, onDone, onError }: { site: SiteDetail; onDone: () => void; onError: (e: unknown) => void }) {
  const { t } = useI18n();
  const [door, setDoor] = useState('');
  const [camera, setCamera] = useState('');
  const [covers, setCovers] = useState('');
  const run = async (e: FormEvent, what: () => Promise<unknown>) => {
    e.preventDefault();
    try {
      await what();
      setDoor('');
      setCamera('');
      onDone();
    } catch (err) {
      onError(err);
    }
  };
  return (
    <>
      <form
        className="form-inline physical-add"
        onSubmit={(e) => void run(e, () => physicalApi.addDoor(site.id, { name: door, entrance: true }))}
      >
        <TextField
          label={t('access.physical.addEntrance')}
          value={door}
          required
          maxLength={200}
          onChange={(e) => setDoor(e.target.value)}
        />
        <button type="submit" className="btn">
          {t('access.physical.add')}
        </button>
      </form>
      <form
        className="form-inline physical-add"
        onSubmit={(e) => void run(e, () => physicalApi.addCamera(site.id, { name: camera, doorId: covers || null }))}
      >
        <TextField
          label={t('access.physical.addCamera')}
          value={camera}
          required
          maxLength={200}
          onChange={(e) => setCamera(e.target.value)}
        />
        <SelectField label={t('access.physical.covers')} value={covers} onChange={(e) => setCovers(e.target.value)}>
          <option value="">–</option>
          {site.doorList.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="btn">
          {t('access.physical.add')}
        </button>
      </form>
    </>
  );
}
