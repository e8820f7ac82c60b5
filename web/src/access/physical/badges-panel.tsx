import { useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, ProblemAlert, SelectField, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { ReasonAction } from '../people/reason-action.tsx';
import { physicalApi, type BadgeHolder } from './physical.api.ts';

/** Badges (access cards) and their holders: issue one to a person, revoke one that is lost or whose holder left. */
export function BadgesPanel() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const canWrite = session.can('access.write');
  const [all, setAll] = useState(false);
  const [items, setItems] = useState<BadgeHolder[] | null>(null);
  const [people, setPeople] = useState<{ id: string; name: string; status: string }[]>([]);
  const [numberText, setNumberText] = useState('');
  const [personId, setPersonId] = useState('');
  const { busy, error, setError, submit } = useAction();
  const load = useCallback(async () => {
    try {
      setItems((await physicalApi.badges(all)).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [all]);
  useEffect(() => void load(), [load]);
  useEffect(() => {
    if (!canWrite) return;
    physicalApi.people().then(
      (r) => setPeople(r.items.filter((p) => p.status === 'active')),
      (err: unknown) => setError(err),
    );
  }, [canWrite]);
  const issue = submit(async () => {
    await physicalApi.issueBadge({ number: numberText.trim(), personId });
    setNumberText('');
    setPersonId('');
    await load();
  });
  return (
    <section className="panel form-stack" aria-labelledby="badges-title">
      <h2 id="badges-title">{t('access.physical.badges.title')}</h2>
      {canWrite ? (
        <form className="form-grid" onSubmit={issue} aria-label={t('access.physical.badges.issue')}>
          <TextField
            label={t('access.physical.badges.number')}
            value={numberText}
            required
            maxLength={64}
            onChange={(e) => setNumberText(e.target.value)}
            error={fieldError(error, 'number')}
          />
          <SelectField
            label={t('access.physical.col.person')}
            value={personId}
            required
            onChange={(e) => setPersonId(e.target.value)}
            error={fieldError(error, 'personId')}
          >
            <option value="">–</option>
            {people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </SelectField>
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {t('access.physical.badges.issue')}
            </button>
          </div>
        </form>
      ) : null}
      <label className="small">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />{' '}
        {t('access.physical.badges.showRevoked')}
      </label>
      <ProblemAlert error={error} claimed={['number', 'personId']} onDismiss={() => setError(null)} />
      {items ? (
        <ListTable
          testId="badges-table"
          columns={[
            t('access.physical.col.badge'),
            t('access.physical.col.person'),
            t('access.physical.badges.issued'),
            t('access.physical.col.state'),
            '',
          ]}
          empty={t('access.physical.badges.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((b) => (
            <tr key={b.id} data-badge={b.number} className={b.revokedAt ? 'row-muted' : undefined}>
              <td className="mono">{b.number}</td>
              <td>
                {b.personName} {b.personStatus === 'left' ? <Badge tone="bad">{t('access.physical.leaver')}</Badge> : null}
              </td>
              <td className="nowrap">{dateTime(b.issuedAt, false)}</td>
              <td>
                {b.revokedAt ? (
                  <>
                    <Badge tone="neutral">{t('access.physical.state.revoked')}</Badge>
                    <span className="sub">{b.revokeReason}</span>
                  </>
                ) : (
                  <Badge tone="ok">{t('access.physical.state.active')}</Badge>
                )}
              </td>
              <td className="cell-action">
                {canWrite && !b.revokedAt ? (
                  <ReasonAction
                    label={t('access.physical.revoke')}
                    danger
                    onSubmit={async (reason) => {
                      try {
                        await physicalApi.revokeBadge(b.id, reason);
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
    </section>
  );
}
