import { useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { Link } from '../../app/router.tsx';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { SITE_HOLDINGS, physicalApi, type Site, type SiteHolding } from './physical.api.ts';
import './physical.css';

/** /access/sites: every site with its country, P1 residency status and entrances without a camera (P5). */
export function SitesPage() {
  const { t, number } = useI18n();
  const session = useSession();
  const [items, setItems] = useState<Site[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);

  const load = useCallback(async () => {
    try {
      setItems((await physicalApi.sites()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.physical.sites.title')}>
        {session.can('access.write') && !adding ? (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            {t('access.physical.sites.add')}
          </button>
        ) : null}
      </PageHeader>
      {adding ? (
        <SiteForm
          onDone={() => {
            setAdding(false);
            void load();
          }}
          onCancel={() => setAdding(false)}
        />
      ) : null}
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="sites-table"
          columns={[
            t('access.physical.col.site'),
            t('access.physical.col.country'),
            t('access.physical.col.holds'),
            t('access.physical.col.residency'),
            t('access.physical.col.entrances'),
            t('access.physical.col.cameraGaps'),
            t('access.physical.col.activeGrants'),
          ]}
          empty={t('access.physical.sites.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((s) => (
            <tr key={s.id} data-site={s.name}>
              <td>
                <Link to={`/access/sites/${encodeURIComponent(s.id)}`} className="strong nowrap">
                  {s.name}
                </Link>
                <span className="sub">{[s.operator, s.address].filter(Boolean).join(' · ')}</span>
              </td>
              <td className="mono">{s.country}</td>
              <td>{s.holds.map((h) => t(`access.physical.holds.${h}`)).join(', ') || '–'}</td>
              <td data-testid="residency">
                {s.residencyViolation ? (
                  <Badge tone="bad">{t('access.physical.residency.violation')}</Badge>
                ) : (
                  <Badge tone="ok">{t('access.physical.residency.ok')}</Badge>
                )}
              </td>
              <td className="num">{number(s.entrances)}</td>
              <td data-testid="camera-gaps">
                {s.entrancesWithoutCamera.length ? (
                  <span className="camera-gap">
                    {t('access.physical.cameraGap.count', { n: s.entrancesWithoutCamera.length })}:{' '}
                    {s.entrancesWithoutCamera.map((d) => d.name).join(', ')}
                  </span>
                ) : (
                  <span className="muted">{t('access.physical.cameraGap.none')}</span>
                )}
              </td>
              <td className="num">{number(s.activeGrants)}</td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

function SiteForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [country, setCountry] = useState('DK');
  const [address, setAddress] = useState('');
  const [operator, setOperator] = useState('');
  const [holds, setHolds] = useState<SiteHolding[]>([]);
  const { busy, error, submit } = useAction();
  const onSubmit = submit(async () => {
    await physicalApi.createSite({ name, country, address, operator, holds, notes: '' });
    onDone();
  });
  return (
    <form className="panel form-stack" onSubmit={onSubmit} aria-label={t('access.physical.sites.add')}>
      <div className="form-grid">
        <TextField
          label={t('access.physical.col.site')}
          value={name}
          required
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(error, 'name')}
        />
        <TextField
          label={t('access.physical.col.country')}
          value={country}
          required
          maxLength={2}
          onChange={(e) => setCountry(e.target.value)}
          error={fieldError(error, 'country')}
          hint={t('access.physical.country.hint')}
        />
        <TextField
          label={t('access.physical.address')}
          value={address}
          optional
          maxLength={500}
          onChange={(e) => setAddress(e.target.value)}
        />
        <TextField
          label={t('access.physical.operator')}
          value={operator}
          optional
          maxLength={200}
          onChange={(e) => setOperator(e.target.value)}
        />
      </div>
      <fieldset>
        <legend>{t('access.physical.col.holds')}</legend>
        {SITE_HOLDINGS.map((h) => (
          <label key={h} className="check">
            <input
              type="checkbox"
              checked={holds.includes(h)}
              onChange={(e) => setHolds(e.target.checked ? [...holds, h] : holds.filter((x) => x !== h))}
            />
            {t(`access.physical.holds.${h}`)}
          </label>
        ))}
      </fieldset>
      <ProblemAlert error={error} claimed={['name', 'country']} />
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
