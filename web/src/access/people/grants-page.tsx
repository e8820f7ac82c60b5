import { useCallback, useEffect, useMemo, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { useSession } from '../../app/session.tsx';
import { Link } from '../../app/router.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { GRANT_STATES, peopleApi, type Grant, type Person, type System } from './people.api.ts';
import { STATE_TONE } from './grant-state.ts';
import { ReasonAction } from './reason-action.tsx';
import './people.css';

/**
 * /access/grants: who may reach which system at which level and why. Current grants by default, expiring-soon ones
 * highlighted; approvers see only the buttons the server says they may use (never on their own grant, never a second
 * approval of their own). A grant's person opens its page with the history (/access/grants/<id>).
 */
export function GrantsPage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const [state, setState] = useState('current');
  const [expiring, setExpiring] = useState(false);
  const [items, setItems] = useState<Grant[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [requesting, setRequesting] = useState(false);
  const load = useCallback(async () => {
    try {
      setItems((await peopleApi.grants({ state, ...(expiring ? { expiringWithinDays: 14 } : {}) })).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [state, expiring]);
  useEffect(() => void load(), [load]);
  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <PageHeader title={t('access.people.grants.title')}>
        {session.can('access.write') && !requesting ? (
          <button type="button" className="btn btn-primary" onClick={() => setRequesting(true)}>
            {t('access.people.grants.request')}
          </button>
        ) : null}
      </PageHeader>
      {requesting ? (
        <RequestForm
          onCancel={() => setRequesting(false)}
          onDone={() => {
            setRequesting(false);
            void load();
          }}
        />
      ) : null}
      <div className="filter-bar" role="search">
        <SelectField label={t('access.people.col.state')} value={state} onChange={(e) => setState(e.target.value)}>
          <option value="current">{t('access.people.state.current')}</option>
          {GRANT_STATES.map((s) => (
            <option key={s} value={s}>
              {t(`access.people.state.${s}`)}
            </option>
          ))}
          <option value="all">{t('access.people.filter.all')}</option>
        </SelectField>
        <label className="check nowrap">
          <input type="checkbox" checked={expiring} onChange={(e) => setExpiring(e.target.checked)} />
          {t('access.people.grants.expiringOnly')}
        </label>
      </div>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="grants-table"
          columns={[
            t('access.people.col.person'),
            t('access.people.col.system'),
            t('access.people.col.level'),
            t('access.people.col.need'),
            t('access.people.col.state'),
            t('access.people.col.approvals'),
            t('access.people.col.ends'),
            '',
          ]}
          empty={t('access.people.grants.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((g) => (
            <tr
              key={g.id}
              data-grant={`${g.personName} ${g.systemName} ${g.level}`}
              className={g.expiringSoon ? 'grant-expiring' : undefined}
            >
              <td className="strong">
                <Link to={`/access/grants/${encodeURIComponent(g.id)}`} className="grant-link">
                  {g.personName}
                </Link>
                {g.personStatus === 'left' ? <span className="sub">{t('access.people.status.left')}</span> : null}
              </td>
              <td>
                {g.systemName}
                <span className="sub">{t(`access.people.classification.${g.systemClassification}`)}</span>
              </td>
              <td>
                <span className="nowrap">{g.level}</span>{' '}
                {g.privileged ? <Badge tone="warn">{t('access.people.privileged')}</Badge> : null}{' '}
                {g.jitHours ? <Badge tone="info">{t('access.people.jit', { hours: g.jitHours })}</Badge> : null}
              </td>
              <td>{g.justification}</td>
              <td>
                <Badge tone={STATE_TONE[g.state]} testId="grant-state">
                  {t(`access.people.state.${g.state}`)}
                </Badge>
                {g.state === 'active' && !g.effective ? <span className="sub">{t('access.people.notYetEffective')}</span> : null}
                {g.endReason ? <span className="sub">{g.endReason}</span> : null}
              </td>
              <td className="approvals" title={[g.approvedByName, g.secondApprovedByName].filter(Boolean).join(', ')}>
                {g.approvalsGiven}/{g.approvalsNeeded}
                {g.approvedByName ? (
                  <span className="sub">{[g.approvedByName, g.secondApprovedByName].filter(Boolean).join(', ')}</span>
                ) : null}
              </td>
              <td className="nowrap">
                {g.expiresAt ? dateTime(g.expiresAt, false) : t('access.people.noExpiry')}
                {g.expiringSoon ? (
                  <span className="sub">
                    <Badge tone="warn">{t('access.people.expiringSoon')}</Badge>
                  </span>
                ) : null}
              </td>
              <td className="cell-action">
                <span className="button-row">
                  {g.actions.approve ? (
                    <button
                      type="button"
                      className="btn btn-small btn-primary"
                      onClick={() => void act(() => peopleApi.approve(g.id))}
                    >
                      {g.approvalsGiven > 0 ? t('access.people.secondApprove') : t('access.people.approve')}
                    </button>
                  ) : null}
                  {g.actions.reject ? (
                    <ReasonAction label={t('access.people.reject')} onSubmit={(r) => act(() => peopleApi.reject(g.id, r))} />
                  ) : null}
                  {g.actions.revoke ? (
                    <ReasonAction
                      label={t('access.people.revoke')}
                      danger
                      onSubmit={(r) => act(() => peopleApi.revoke(g.id, r))}
                    />
                  ) : null}
                </span>
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

function RequestForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [people, setPeople] = useState<Person[]>([]);
  const [systems, setSystems] = useState<System[]>([]);
  const [personId, setPersonId] = useState('');
  const [systemId, setSystemId] = useState('');
  const [level, setLevel] = useState('');
  const [justification, setJustification] = useState('');
  const [expires, setExpires] = useState('');
  const [jitHours, setJitHours] = useState('');
  const { busy, error, setError, submit } = useAction();
  useEffect(() => {
    void (async () => {
      try {
        const [p, s] = await Promise.all([peopleApi.people({ status: 'active' }), peopleApi.systems()]);
        setPeople(p.items);
        setSystems(s.items);
      } catch (err) {
        setError(err);
      }
    })();
  }, []);
  const system = useMemo(() => systems.find((s) => s.id === systemId), [systems, systemId]);
  const onSubmit = submit(async () => {
    await peopleApi.request({
      personId,
      systemId,
      level,
      justification,
      ...(jitHours
        ? { jitHours: Number(jitHours) }
        : expires
          ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() }
          : {}),
    });
    onDone();
  });
  return (
    <form className="panel form-stack" onSubmit={onSubmit} aria-label={t('access.people.grants.request')}>
      <div className="form-grid">
        <SelectField
          label={t('access.people.col.person')}
          value={personId}
          required
          onChange={(e) => setPersonId(e.target.value)}
        >
          <option value="">–</option>
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
              {p.privileged ? ` (${t('access.people.privileged')})` : ''}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('access.people.col.system')}
          value={systemId}
          required
          onChange={(e) => {
            setSystemId(e.target.value);
            setLevel('');
          }}
        >
          <option value="">–</option>
          {systems.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('access.people.col.level')}
          value={level}
          required
          onChange={(e) => setLevel(e.target.value)}
          error={fieldError(error, 'level')}
        >
          <option value="">–</option>
          {(system?.levels ?? []).map((l) => (
            <option key={l.name} value={l.name}>
              {l.name}
              {l.privileged ? ` (${t('access.people.privileged')})` : ''}
            </option>
          ))}
        </SelectField>
        <TextField
          className="span-2"
          label={t('access.people.col.need')}
          value={justification}
          required
          minLength={3}
          maxLength={2000}
          onChange={(e) => setJustification(e.target.value)}
          error={fieldError(error, 'justification')}
        />
        <TextField
          label={t('access.people.grants.expires')}
          type="date"
          value={expires}
          optional
          disabled={jitHours !== ''}
          onChange={(e) => setExpires(e.target.value)}
          error={fieldError(error, 'expiresAt')}
        />
        <TextField
          label={t('access.people.grants.jitHours')}
          type="number"
          min={1}
          max={72}
          value={jitHours}
          optional
          hint={t('access.people.grants.jitHint')}
          onChange={(e) => setJitHours(e.target.value)}
          error={fieldError(error, 'jitHours')}
        />
      </div>
      <ProblemAlert error={error} claimed={['level', 'justification', 'expiresAt', 'jitHours']} />
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('access.people.grants.send')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
