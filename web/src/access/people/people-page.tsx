import { Fragment, useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { PERSON_KINDS, peopleApi, type Person } from './people.api.ts';
import './people.css';

/** /access/people: employees and contractors with manager, team and account names; leavers are marked, never deleted. */
export function PeoplePage() {
  const { t, dateTime, number } = useI18n();
  const session = useSession();
  const [status, setStatus] = useState('active');
  const [q, setQ] = useState('');
  const [items, setItems] = useState<Person[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  /** The person whose row shows the edit form or the leave confirmation. */
  const [open, setOpen] = useState<{ id: string; what: 'edit' | 'leave' } | null>(null);
  const load = useCallback(async () => {
    try {
      setItems((await peopleApi.people({ status, q: q.trim() })).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [status, q]);
  useEffect(() => void load(), [load]);
  const canWrite = session.can('access.write');

  return (
    <>
      <PageHeader title={t('access.people.people.title')}>
        {canWrite && !adding ? (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            {t('access.people.people.add')}
          </button>
        ) : null}
      </PageHeader>
      {adding ? (
        <PersonForm
          people={items ?? []}
          onCancel={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            void load();
          }}
        />
      ) : null}
      <div className="filter-bar" role="search">
        <TextField
          label={t('access.people.search')}
          type="search"
          value={q}
          maxLength={100}
          onChange={(e) => setQ(e.target.value)}
        />
        <SelectField label={t('access.people.col.status')} value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="active">{t('access.people.status.active')}</option>
          <option value="left">{t('access.people.status.left')}</option>
          <option value="">{t('access.people.filter.all')}</option>
        </SelectField>
      </div>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="people-table"
          columns={[
            t('access.people.col.person'),
            t('access.people.col.team'),
            t('access.people.col.manager'),
            t('access.people.col.accounts'),
            t('access.people.col.grants'),
            t('access.people.col.status'),
            '',
          ]}
          empty={t('access.people.people.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((p) => (
            <Fragment key={p.id}>
              <tr data-person={p.name} className={p.status === 'left' ? 'row-muted' : undefined}>
                <td>
                  <span className="strong">{p.name}</span>{' '}
                  {p.privileged ? <Badge tone="warn">{t('access.people.privileged')}</Badge> : null}
                  <span className="sub">{[p.email, t(`access.people.kind.${p.kind}`)].filter(Boolean).join(' · ')}</span>
                </td>
                <td>{p.team || <span className="muted">–</span>}</td>
                <td>{p.managerName ?? <span className="muted">–</span>}</td>
                <td className="mono small">{p.identifiers.join(', ') || <span className="muted">–</span>}</td>
                <td className="num">{number(p.activeGrants)}</td>
                <td>
                  {p.status === 'left' ? (
                    <>
                      <Badge tone="neutral">{t('access.people.status.left')}</Badge>
                      {p.leftAt ? <span className="sub">{dateTime(p.leftAt, false)}</span> : null}
                    </>
                  ) : (
                    <Badge tone="ok">{t('access.people.status.active')}</Badge>
                  )}
                </td>
                <td className="cell-action">
                  {canWrite && open?.id !== p.id ? (
                    <div className="button-row">
                      <button type="button" className="btn btn-small" onClick={() => setOpen({ id: p.id, what: 'edit' })}>
                        {t('common.edit')}
                      </button>
                      {p.status === 'active' ? (
                        <button
                          type="button"
                          className="btn btn-small btn-danger-outline"
                          onClick={() => setOpen({ id: p.id, what: 'leave' })}
                        >
                          {t('access.people.leave')}
                        </button>
                      ) : null}
                    </div>
                  ) : null}
                </td>
              </tr>
              {open?.id === p.id ? (
                <tr className="row-detail" data-person-detail={p.name}>
                  <td colSpan={7}>
                    {open.what === 'edit' ? (
                      <PersonForm
                        person={p}
                        people={items}
                        onCancel={() => setOpen(null)}
                        onDone={() => {
                          setOpen(null);
                          void load();
                        }}
                      />
                    ) : (
                      <LeaveConfirm
                        person={p}
                        onCancel={() => setOpen(null)}
                        onDone={() => {
                          setOpen(null);
                          void load();
                        }}
                      />
                    )}
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

/**
 * Confirm that a person has left, with the date and the reason for the record: the consequences are spelled out
 * before anything happens (their grants end, they leave the privileged list, their accounts get removal tasks).
 */
function LeaveConfirm({ person, onDone, onCancel }: { person: Person; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const today = new Date().toISOString().slice(0, 10);
  const [leftOn, setLeftOn] = useState(today);
  const [reason, setReason] = useState('');
  const { busy, error, submit } = useAction();
  const label = t('access.people.leaveTitle', { name: person.name });
  const onSubmit = submit(async () => {
    // A date in the past is kept as the leaving date (midnight, local time); today means now.
    const leftAt = leftOn && leftOn < today ? new Date(`${leftOn}T00:00:00`).toISOString() : undefined;
    await peopleApi.leave(person.id, reason.trim(), leftAt);
    onDone();
  });
  return (
    <form className="panel form-stack leave-confirm" onSubmit={onSubmit} aria-label={label}>
      <h3>{label}</h3>
      <p role="alert" className="leave-warning">
        {t('access.people.leaveWarning', { grants: person.activeGrants })}
        {person.privileged ? ` ${t('access.people.leaveWarningPrivileged')}` : ''}
      </p>
      <div className="form-grid">
        <TextField
          label={t('access.people.leftOn')}
          type="date"
          value={leftOn}
          max={today}
          required
          onChange={(e) => setLeftOn(e.target.value)}
          error={fieldError(error, 'leftAt')}
        />
        <TextField
          label={t('access.people.reason')}
          value={reason}
          required
          minLength={3}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
          error={fieldError(error, 'reason')}
        />
      </div>
      <ProblemAlert error={error} claimed={['leftAt', 'reason']} />
      <div className="button-row">
        <button type="submit" className="btn btn-danger" disabled={busy}>
          {t('access.people.leaveConfirm')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Add a person, or with `person` change their name, e-mail, kind, team, manager and account names. */
function PersonForm({
  person,
  people,
  onDone,
  onCancel,
}: {
  person?: Person;
  people: Person[];
  onDone: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState(person?.name ?? '');
  const [email, setEmail] = useState(person?.email ?? '');
  const [kind, setKind] = useState<(typeof PERSON_KINDS)[number]>(person?.kind ?? 'employee');
  const [team, setTeam] = useState(person?.team ?? '');
  const [managerId, setManagerId] = useState(person?.managerId ?? '');
  const [identifiers, setIdentifiers] = useState(person?.identifiers.join(', ') ?? '');
  const { busy, error, submit } = useAction();
  const onSubmit = submit(async () => {
    const input = {
      name,
      email: email.trim() || null,
      kind,
      team,
      managerId: managerId || null,
      identifiers: identifiers
        .split(/[,\s]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    };
    if (person) await peopleApi.updatePerson(person.id, input);
    else await peopleApi.createPerson(input);
    onDone();
  });
  return (
    <form
      className="panel form-stack"
      onSubmit={onSubmit}
      aria-label={person ? t('access.people.editTitle', { name: person.name }) : t('access.people.people.add')}
    >
      <div className="form-grid">
        <TextField
          label={t('access.people.col.name')}
          value={name}
          required
          maxLength={200}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(error, 'name')}
        />
        <TextField
          label={t('access.people.email')}
          type="email"
          value={email}
          optional
          maxLength={254}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError(error, 'email')}
        />
        <SelectField
          label={t('access.people.col.kind')}
          value={kind}
          onChange={(e) => setKind(e.target.value as (typeof PERSON_KINDS)[number])}
        >
          {PERSON_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`access.people.kind.${k}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('access.people.col.team')}
          value={team}
          optional
          maxLength={100}
          onChange={(e) => setTeam(e.target.value)}
        />
        <SelectField
          label={t('access.people.col.manager')}
          value={managerId}
          onChange={(e) => setManagerId(e.target.value)}
          error={fieldError(error, 'managerId')}
        >
          <option value="">–</option>
          {person?.managerId && !people.some((p) => p.id === person.managerId) ? (
            <option value={person.managerId}>{person.managerName ?? person.managerId}</option>
          ) : null}
          {people
            .filter((p) => (p.status === 'active' || p.id === person?.managerId) && p.id !== person?.id)
            .map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
        </SelectField>
        <TextField
          label={t('access.people.col.accounts')}
          value={identifiers}
          optional
          maxLength={2000}
          hint={t('access.people.accountsHint')}
          onChange={(e) => setIdentifiers(e.target.value)}
          error={fieldError(error, 'identifiers')}
        />
      </div>
      <ProblemAlert error={error} claimed={['name', 'email', 'managerId', 'identifiers']} />
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
