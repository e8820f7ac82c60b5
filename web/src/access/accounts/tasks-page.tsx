import { useCallback, useEffect, useState } from 'react';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { type Task, accountsApi } from './accounts.api.ts';
import './accounts.css';

/** Close one task by hand: the reason is required (it becomes the evidence). */
function CloseTask({ task, onClosed }: { task: Task; onClosed: () => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  if (!open)
    return (
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        {t('access.accounts.tasks.close')}
      </button>
    );
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        accountsApi.closeTask(task.id, reason).then(onClosed, (err: unknown) => setError(err));
      }}
    >
      <label className="sr-only" htmlFor={`reason-${task.id}`}>
        {t('access.accounts.tasks.reason')}
      </label>
      <input
        id={`reason-${task.id}`}
        value={reason}
        placeholder={t('access.accounts.tasks.reason')}
        maxLength={2000}
        onChange={(e) => setReason(e.target.value)}
      />
      <button type="submit" className="btn btn-small btn-primary" disabled={reason.trim().length < 3}>
        {t('access.accounts.tasks.confirm')}
      </button>
      <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
        {t('common.cancel')}
      </button>
      <ProblemAlert error={error} />
    </form>
  );
}

/** /access/tasks: accounts to remove (after a revoke or a review), open first; an import that no longer lists one closes it. */
export function TasksPage() {
  const { t, dateTime } = useI18n();
  const [state, setState] = useState('open');
  const [items, setItems] = useState<Task[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setItems((await accountsApi.tasks({ state })).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [state]);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.accounts.tasks.title')}>
        <button type="button" className="btn" onClick={() => void load()}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <p className="muted">{t('access.accounts.tasks.intro')}</p>
      <div className="filter-bar" role="search" aria-label={t('access.accounts.tasks.filters')}>
        <SelectField label={t('access.accounts.col.state')} value={state} onChange={(e) => setState(e.target.value)}>
          <option value="open">{t('access.accounts.tasks.state.open')}</option>
          <option value="done">{t('access.accounts.tasks.state.done')}</option>
          <option value="">{t('access.accounts.filter.all')}</option>
        </SelectField>
      </div>
      <ProblemAlert error={error} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="tasks-table"
          columns={[
            t('access.accounts.col.state'),
            t('access.accounts.col.system'),
            t('access.accounts.col.account'),
            t('access.accounts.col.person'),
            t('access.accounts.col.why'),
            t('access.accounts.col.opened'),
            t('access.accounts.col.closed'),
          ]}
          empty={t('access.accounts.tasks.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((task) => (
            <tr key={task.id} data-state={task.state}>
              <td>
                <Badge tone={task.state === 'open' ? 'warn' : 'ok'}>{t(`access.accounts.tasks.state.${task.state}`)}</Badge>
              </td>
              <td>{task.systemName}</td>
              <td className="mono">{task.account ?? t('access.accounts.tasks.anyAccount')}</td>
              <td>{task.personName ?? '—'}</td>
              <td>{task.reason}</td>
              <td className="nowrap">{dateTime(task.openedAt)}</td>
              <td>
                {task.state === 'open' ? (
                  <CloseTask task={task} onClosed={() => void load()} />
                ) : (
                  <>
                    <span className="nowrap">{dateTime(task.closedAt)}</span>
                    <div className="small muted">{task.closedReason}</div>
                  </>
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}
