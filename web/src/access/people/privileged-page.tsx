import { useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { useSession } from '../../app/session.tsx';
import { ListTable, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { peopleApi, type Person, type PrivilegedEntry } from './people.api.ts';
import { ReasonAction } from './reason-action.tsx';
import './people.css';

/** /access/privileged: the specially selected people who may hold privileged levels (P6), why, and since when. */
export function PrivilegedPage() {
  const { t, dateTime, number } = useI18n();
  const session = useSession();
  const canChange = session.can('access.privileged');
  const [items, setItems] = useState<PrivilegedEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const load = useCallback(async () => {
    try {
      setItems((await peopleApi.privileged()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.people.privileged.title')}>
        {canChange && !adding ? (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            {t('access.people.privileged.add')}
          </button>
        ) : null}
      </PageHeader>
      <p className="muted">{t('access.people.privileged.intro')}</p>
      {adding ? (
        <AddForm
          listed={new Set((items ?? []).map((e) => e.personId))}
          onCancel={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            void load();
          }}
        />
      ) : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items ? (
        <ListTable
          testId="privileged-table"
          columns={[
            t('access.people.col.person'),
            t('access.people.col.reason'),
            t('access.people.col.addedBy'),
            t('access.people.col.privilegedGrants'),
            '',
          ]}
          empty={t('access.people.privileged.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((e) => (
            <tr key={e.personId} data-person={e.personName}>
              <td>
                <span className="strong">{e.personName}</span>
                <span className="sub">{[e.personEmail, e.team].filter(Boolean).join(' · ')}</span>
              </td>
              <td>{e.reason}</td>
              <td>
                <span className="mono small">{e.addedBy}</span>
                <span className="sub">{dateTime(e.addedAt, false)}</span>
              </td>
              <td className="num">{number(e.privilegedGrants)}</td>
              <td className="cell-action">
                {canChange ? (
                  <ReasonAction
                    label={t('access.people.privileged.remove')}
                    danger
                    onSubmit={async (reason) => {
                      try {
                        await peopleApi.removePrivileged(e.personId, reason);
                        await load();
                      } catch (err) {
                        setError(err);
                      }
                    }}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

function AddForm({ listed, onDone, onCancel }: { listed: Set<string>; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [people, setPeople] = useState<Person[]>([]);
  const [personId, setPersonId] = useState('');
  const [reason, setReason] = useState('');
  const { error, setError, submit } = useAction();
  useEffect(() => {
    void peopleApi.people({ status: 'active' }).then((r) => setPeople(r.items), setError);
  }, [setError]);
  const onSubmit = submit(async () => {
    await peopleApi.addPrivileged(personId, reason);
    onDone();
  });
  return (
    <form className="panel form-stack" onSubmit={onSubmit} aria-label={t('access.people.privileged.add')}>
      <div className="form-grid">
        <SelectField
          label={t('access.people.col.person')}
          value={personId}
          required
          onChange={(e) => setPersonId(e.target.value)}
        >
          <option value="">–</option>
          {people
            .filter((p) => !listed.has(p.id))
            .map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
        </SelectField>
        <TextField
          className="span-2"
          label={t('access.people.col.reason')}
          value={reason}
          required
          minLength={3}
          maxLength={1000}
          onChange={(e) => setReason(e.target.value)}
          error={fieldError(error, 'reason')}
        />
      </div>
      <ProblemAlert error={error} claimed={['reason']} />
      <div className="button-row">
        <button type="submit" className="btn btn-primary">
          {t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
