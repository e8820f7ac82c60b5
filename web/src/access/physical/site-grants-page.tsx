import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField, fieldError, type Tone } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { physicalApi, type Site, type SiteGrant } from './physical.api.ts';
import './physical.css';

const STATE_TONE: Record<SiteGrant['state'], Tone> = {
  pending: 'info',
  active: 'ok',
  expired: 'neutral',
  revoked: 'neutral',
  rejected: 'neutral',
};

/** /access/site-grants: who may enter which site, why, until when; approvers approve, reject and revoke here. */
export function SiteGrantsPage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const canApprove = session.can('access.approve');
  const [state, setState] = useState('');
  const [items, setItems] = useState<SiteGrant[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setItems((await physicalApi.siteGrants(state ? { state } : {})).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [state]);
  useEffect(() => void load(), [load]);
  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const ask = (label: string) => window.prompt(label)?.trim();
  const [requesting, setRequesting] = useState(false);

  return (
    <>
      <PageHeader title={t('access.physical.grants.title')}>
        {session.can('access.write') && !requesting ? (
          <button type="button" className="btn btn-primary" onClick={() => setRequesting(true)}>
            {t('access.physical.grants.request')}
          </button>
        ) : null}
      </PageHeader>
      {requesting ? (
        <RequestForm
          onDone={() => {
            setRequesting(false);
            void load();
          }}
          onCancel={() => setRequesting(false)}
        />
      ) : null}
      <div className="filter-bar" role="search">
        <SelectField label={t('access.physical.col.state')} value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">{t('access.physical.filter.all')}</option>
          {(['pending', 'active', 'expired', 'revoked', 'rejected'] as const).map((s) => (
            <option key={s} value={s}>
              {t(`access.physical.state.${s}`)}
            </option>
          ))}
        </SelectField>
      </div>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items ? (
        <ListTable
          testId="site-grants-table"
          columns={[
            t('access.physical.col.person'),
            t('access.physical.col.site'),
            t('access.physical.col.need'),
            t('access.physical.col.state'),
            t('access.physical.col.expires'),
            '',
          ]}
          empty={t('access.physical.grants.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((g) => (
            <tr key={g.id} data-grant={g.id}>
              <td className="strong">{g.personName}</td>
              <td>{g.siteName}</td>
              <td>{g.justification}</td>
              <td>
                <Badge tone={STATE_TONE[g.state]}>{t(`access.physical.state.${g.state}`)}</Badge>
                {g.expiringSoon ? (
                  <>
                    {' '}
                    <Badge tone="warn">{t('access.physical.expiringSoon')}</Badge>
                  </>
                ) : null}
                {g.endReason ? <span className="sub">{g.endReason}</span> : null}
              </td>
              <td className="nowrap">{g.expiresAt ? dateTime(g.expiresAt, false) : t('access.physical.noExpiry')}</td>
              <td className="cell-action">
                {canApprove && g.state === 'pending' ? (
                  <span className="button-row">
                    <button
                      type="button"
                      className="btn btn-small btn-primary"
                      onClick={() => void act(() => physicalApi.approve(g.id))}
                    >
                      {t('access.physical.approve')}
                    </button>
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => {
                        const reason = ask(t('access.physical.reason'));
                        if (reason) void act(() => physicalApi.reject(g.id, reason));
                      }}
                    >
                      {t('access.physical.reject')}
                    </button>
                  </span>
                ) : null}
                {canApprove && g.state === 'active' ? (
                  <button
                    type="button"
                    className="btn btn-small btn-danger-outline"
                    onClick={() => {
                      const reason = ask(t('access.physical.reason'));
                      if (reason) void act(() => physicalApi.revoke(g.id, reason));
                    }}
                  >
                    {t('access.physical.revoke')}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

/** Ask for a person's access to a site with the work-related need and an optional end date. */
function RequestForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [people, setPeople] = useState<{ id: string; name: string; status: string }[]>([]);
  const [sites, setSites] = useState<Site[]>([]);
  const [personId, setPersonId] = useState('');
  const [siteId, setSiteId] = useState('');
  const [justification, setJustification] = useState('');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    Promise.all([physicalApi.people(), physicalApi.sites()]).then(
      ([p, s]) => {
        setPeople(p.items.filter((x) => x.status === 'active'));
        setSites(s.items);
      },
      (err: unknown) => setError(err),
    );
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      // The end of the chosen day, in the browser's time zone.
      const expiresAt = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
      await physicalApi.requestGrant({ personId, siteId, justification, expiresAt });
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="panel form-stack" onSubmit={(e) => void submit(e)} aria-label={t('access.physical.grants.request')}>
      <div className="form-grid">
        <SelectField
          label={t('access.physical.col.person')}
          value={personId}
          required
          onChange={(e) => setPersonId(e.target.value)}
        >
          <option value="">–</option>
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <SelectField label={t('access.physical.col.site')} value={siteId} required onChange={(e) => setSiteId(e.target.value)}>
          <option value="">–</option>
          {sites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('access.physical.col.need')}
          value={justification}
          required
          maxLength={2000}
          onChange={(e) => setJustification(e.target.value)}
          error={fieldError(error, 'justification')}
        />
        <TextField
          label={t('access.physical.col.expires')}
          type="date"
          value={expires}
          optional
          onChange={(e) => setExpires(e.target.value)}
          error={fieldError(error, 'expiresAt')}
        />
      </div>
      <ProblemAlert error={error} claimed={['justification', 'expiresAt']} />
      <div className="button-row">
        <button type="submit" className="btn btn-primary">
          {t('access.physical.grants.request')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
