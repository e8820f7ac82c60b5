import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { CLASSIFICATIONS, SYSTEM_KINDS, peopleApi, type Person, type System } from './people.api.ts';
import './people.css';

/** /access/systems: the systems register with owner, classification (P11) and the access levels grants name. */
export function SystemsPage() {
  const { t, number } = useI18n();
  const session = useSession();
  const [items, setItems] = useState<System[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState(false);
  const load = useCallback(async () => {
    try {
      setItems((await peopleApi.systems()).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <>
      <PageHeader title={t('access.people.systems.title')}>
        {session.can('access.write') && !adding ? (
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            {t('access.people.systems.add')}
          </button>
        ) : null}
      </PageHeader>
      {adding ? (
        <SystemForm
          onCancel={() => setAdding(false)}
          onDone={() => {
            setAdding(false);
            void load();
          }}
        />
      ) : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="systems-table"
          columns={[
            t('access.people.col.system'),
            t('access.people.col.classification'),
            t('access.people.col.owner'),
            t('access.people.col.levels'),
            t('access.people.col.grants'),
          ]}
          empty={t('access.people.systems.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((s) => (
            <tr key={s.id} data-system={s.name}>
              <td>
                <span className="strong">{s.name}</span>
                <span className="sub">
                  {[t(`access.people.systemKind.${s.kind}`), s.description].filter(Boolean).join(' · ')}
                </span>
              </td>
              <td>
                <Badge tone={s.classification === 'other' ? 'neutral' : 'info'}>
                  {t(`access.people.classification.${s.classification}`)}
                </Badge>
              </td>
              <td>{s.ownerName ?? <span className="muted">{t('access.people.noOwner')}</span>}</td>
              <td>
                <span className="level-chips">
                  {s.levels.map((l) => (
                    <span key={l.name} className="tag" title={l.privileged ? t('access.people.privileged') : undefined}>
                      {l.name}
                      {l.privileged ? ' ★' : ''}
                    </span>
                  ))}
                </span>
              </td>
              <td className="num">
                {number(s.activeGrants)}
                {s.privilegedGrants ? (
                  <span className="sub">{t('access.people.systems.privilegedCount', { n: s.privilegedGrants })}</span>
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

function SystemForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [people, setPeople] = useState<Person[]>([]);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<(typeof SYSTEM_KINDS)[number]>('server');
  const [classification, setClassification] = useState<(typeof CLASSIFICATIONS)[number]>('management');
  const [ownerId, setOwnerId] = useState('');
  const [description, setDescription] = useState('');
  const [levels, setLevels] = useState('read');
  const [privileged, setPrivileged] = useState('root');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void peopleApi.people({ status: 'active' }).then((r) => setPeople(r.items), setError);
  }, []);
  const split = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await peopleApi.createSystem({
        name,
        kind,
        classification,
        ownerId: ownerId || null,
        description,
        levels: [
          ...split(levels).map((n) => ({ name: n, privileged: false })),
          ...split(privileged).map((n) => ({ name: n, privileged: true })),
        ],
      });
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel form-stack" onSubmit={(e) => void submit(e)} aria-label={t('access.people.systems.add')}>
      <div className="form-grid">
        <TextField
          label={t('access.people.col.system')}
          value={name}
          required
          maxLength={200}
          onChange={(e) => setName(e.target.value)}
          error={fieldError(error, 'name')}
        />
        <SelectField
          label={t('access.people.col.kind')}
          value={kind}
          onChange={(e) => setKind(e.target.value as (typeof SYSTEM_KINDS)[number])}
        >
          {SYSTEM_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`access.people.systemKind.${k}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('access.people.col.classification')}
          value={classification}
          onChange={(e) => setClassification(e.target.value as (typeof CLASSIFICATIONS)[number])}
        >
          {CLASSIFICATIONS.map((c) => (
            <option key={c} value={c}>
              {t(`access.people.classification.${c}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('access.people.col.owner')}
          value={ownerId}
          onChange={(e) => setOwnerId(e.target.value)}
          error={fieldError(error, 'ownerId')}
        >
          <option value="">–</option>
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('access.people.systems.levels')}
          value={levels}
          optional
          maxLength={500}
          hint={t('access.people.systems.levelsHint')}
          onChange={(e) => setLevels(e.target.value)}
        />
        <TextField
          label={t('access.people.systems.privilegedLevels')}
          value={privileged}
          optional
          maxLength={500}
          hint={t('access.people.systems.levelsHint')}
          onChange={(e) => setPrivileged(e.target.value)}
        />
        <TextField
          className="span-2"
          label={t('access.people.description')}
          value={description}
          optional
          maxLength={2000}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <ProblemAlert error={error} claimed={['name', 'ownerId']} />
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
