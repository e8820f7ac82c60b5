import { Fragment, useCallback, useEffect, useState } from 'react';
import { useAction } from '../../app/use-action.ts';
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
  const [editing, setEditing] = useState<string | null>(null);
  const canWrite = session.can('access.write');
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
        {canWrite && !adding ? (
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
            ...(canWrite ? [''] : []),
          ]}
          empty={t('access.people.systems.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((s) => (
            <Fragment key={s.id}>
              <tr data-system={s.name} className={editing === s.id ? 'row-editing' : undefined}>
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
                {canWrite ? (
                  <td className="cell-action">
                    {editing !== s.id ? (
                      <button type="button" className="btn btn-small" onClick={() => setEditing(s.id)}>
                        {t('common.edit')}
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
              {editing === s.id ? (
                <tr className="row-detail" data-system-detail={s.name}>
                  <td colSpan={6}>
                    <SystemForm
                      system={s}
                      onCancel={() => setEditing(null)}
                      onDone={() => {
                        setEditing(null);
                        void load();
                      }}
                    />
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

type Level = { name: string; privileged: boolean };

/**
 * Register a system or edit one: name, kind, classification, owner, description and its access levels, each with its
 * privileged flag, listed from the least access to the most (a grant can be reduced to a level above it in the list).
 */
function SystemForm({ system, onDone, onCancel }: { system?: System; onDone: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [people, setPeople] = useState<Person[]>([]);
  const [name, setName] = useState(system?.name ?? '');
  const [kind, setKind] = useState<(typeof SYSTEM_KINDS)[number]>(system?.kind ?? 'server');
  const [classification, setClassification] = useState<(typeof CLASSIFICATIONS)[number]>(system?.classification ?? 'management');
  const [ownerId, setOwnerId] = useState(system?.ownerId ?? '');
  const [description, setDescription] = useState(system?.description ?? '');
  const [levels, setLevels] = useState<Level[]>(
    system?.levels.map((l) => ({ name: l.name, privileged: l.privileged })) ?? [
      { name: 'read', privileged: false },
      { name: 'root', privileged: true },
    ],
  );
  const { busy, error, setError, submit } = useAction();
  useEffect(() => {
    void peopleApi.people({ status: 'active' }).then((r) => setPeople(r.items), setError);
  }, [setError]);
  const setLevel = (i: number, l: Partial<Level>) => setLevels((ls) => ls.map((x, j) => (j === i ? { ...x, ...l } : x)));
  const onSubmit = submit(async () => {
    const input = {
      name,
      kind,
      classification,
      ownerId: ownerId || null,
      description,
      levels: levels.map((l) => ({ name: l.name.trim(), privileged: l.privileged })).filter((l) => l.name !== ''),
    };
    if (system) await peopleApi.updateSystem(system.id, input);
    else await peopleApi.createSystem(input);
    onDone();
  });
  const levelErrors = levels.map((_, i) => fieldError(error, `levels.${i}.name`));
  return (
    <form
      className="panel form-stack"
      onSubmit={onSubmit}
      aria-label={system ? t('access.people.editTitle', { name: system.name }) : t('access.people.systems.add')}
    >
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
          {system?.ownerId && !people.some((p) => p.id === system.ownerId) ? (
            <option value={system.ownerId}>{system.ownerName ?? system.ownerId}</option>
          ) : null}
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </SelectField>
        <TextField
          className="span-2"
          label={t('access.people.description')}
          value={description}
          optional
          maxLength={2000}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <fieldset className="level-editor">
        <legend>{t('access.people.systems.levels')}</legend>
        <p className="field-hint">{t('access.people.systems.levelsOrder')}</p>
        <ol className="level-rows">
          {levels.map((l, i) => (
            <li key={i} className={levelErrors[i] ? 'field-invalid' : undefined} data-level-row={i + 1}>
              <div className="level-row">
                <input
                  aria-label={t('access.people.systems.levelName', { n: i + 1 })}
                  value={l.name}
                  required
                  maxLength={64}
                  aria-invalid={levelErrors[i] ? true : undefined}
                  onChange={(e) => setLevel(i, { name: e.target.value })}
                />
                <label className="check nowrap">
                  <input
                    type="checkbox"
                    checked={l.privileged}
                    aria-label={t('access.people.systems.levelPrivileged', { n: i + 1 })}
                    onChange={(e) => setLevel(i, { privileged: e.target.checked })}
                  />
                  {t('access.people.privileged')}
                </label>
                <button
                  type="button"
                  className="btn btn-small btn-quiet"
                  disabled={i === 0}
                  title={t('access.people.systems.moveUp', { n: i + 1 })}
                  aria-label={t('access.people.systems.moveUp', { n: i + 1 })}
                  onClick={() =>
                    setLevels((ls) => [...ls.slice(0, i - 1), ls[i] as Level, ls[i - 1] as Level, ...ls.slice(i + 1)])
                  }
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="btn btn-small btn-quiet"
                  title={t('access.people.systems.removeLevel', { n: i + 1 })}
                  disabled={levels.length <= 1}
                  aria-label={t('access.people.systems.removeLevel', { n: i + 1 })}
                  onClick={() => setLevels((ls) => ls.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </div>
              {levelErrors[i] ? <span className="field-error">{levelErrors[i]}</span> : null}
            </li>
          ))}
        </ol>
        <button
          type="button"
          className="btn btn-small"
          disabled={levels.length >= 50}
          onClick={() => setLevels((ls) => [...ls, { name: '', privileged: false }])}
        >
          {t('access.people.systems.addLevel')}
        </button>
      </fieldset>
      <ProblemAlert error={error} claimed={['name', 'ownerId', ...levels.map((_, i) => `levels.${i}.name`)]} />
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
