import { Fragment, useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useSession } from '../app/session.tsx';
import { Badge, ConfirmButton, ProblemAlert, SelectField, TextField, fieldError } from '../app/ui.tsx';
import { useI18n, type I18n } from '../i18n/i18n.tsx';
import { oncallApi, type Schedule } from './oncall.api.ts';
import {
  MIN_SEVERITIES,
  makeTarget,
  pagingApi,
  targetParts,
  type NotificationChannel,
  type Policy,
  type PolicyInput,
  type TargetType,
} from './paging.api.ts';
import { EditableListTop, KindIcon, errorAt, errorPaths, useKindLabel, usePeople, type Person } from './paging-ui.tsx';

/** "5 min", "1 h 30 min", "45 s": the wait on a ladder's connector. */
export function waitText(t: I18n['t'], seconds: number): string {
  if (seconds % 60 !== 0) return t('paging.wait.s', { n: seconds });
  const m = seconds / 60;
  if (m < 60 || m % 60 !== 0)
    return m >= 60 ? t('paging.wait.hm', { h: Math.floor(m / 60), m: m % 60 }) : t('paging.wait.m', { n: m });
  return t('paging.wait.h', { n: m / 60 });
}

/** Escalation policies: each drawn as a ladder of levels, left to right, with the wait on each connector. */
export function EscalationPage() {
  const { t } = useI18n();
  const session = useSession();
  const canWrite = session.can('oncall.write');
  const [policies, setPolicies] = useState<Policy[] | null>(null);
  const [channels, setChannels] = useState<NotificationChannel[]>([]);
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<Policy | 'new' | null>(null);

  const load = useCallback(async () => {
    try {
      const [p, c, s] = await Promise.all([pagingApi.policies(), pagingApi.channels(), oncallApi.schedules()]);
      setPolicies(p.items);
      setChannels(c.items);
      setSchedules(s.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const remove = async (p: Policy) => {
    setError(null);
    setNotice(null);
    try {
      await pagingApi.deletePolicy(p.id);
      setNotice(t('paging.policy.deleted', { name: p.name }));
      await load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <EditableListTop
        title={t('paging.policies.title')}
        intro={t('paging.policies.intro')}
        newLabel={t('paging.policy.new')}
        canWrite={canWrite}
        creating={editing === 'new'}
        onToggleNew={() => setEditing((e) => (e === 'new' ? null : 'new'))}
        notice={notice}
        noticeTestId="policy-notice"
        onDismissNotice={() => setNotice(null)}
        error={error}
        onDismissError={() => setError(null)}
      />
      {editing === 'new' ? (
        <PolicyForm
          channels={channels}
          schedules={schedules}
          onCancel={() => setEditing(null)}
          onSaved={(p) => {
            setEditing(null);
            setNotice(t('paging.policy.created', { name: p.name }));
            void load();
          }}
        />
      ) : null}
      {policies === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {policies?.length === 0 ? <p className="panel muted">{t('paging.policies.empty')}</p> : null}
      {policies?.map((p) =>
        editing !== 'new' && editing?.id === p.id ? (
          <PolicyForm
            key={p.id}
            policy={p}
            channels={channels}
            schedules={schedules}
            onCancel={() => setEditing(null)}
            onSaved={(saved) => {
              setEditing(null);
              setNotice(t('paging.policy.saved', { name: saved.name }));
              void load();
            }}
          />
        ) : (
          <PolicyCard
            key={p.id}
            policy={p}
            channels={channels}
            actions={
              canWrite ? (
                <>
                  <button type="button" className="btn btn-small" onClick={() => setEditing(p)}>
                    {t('common.edit')}
                  </button>
                  <ConfirmButton
                    label={t('paging.policy.delete')}
                    question={t('paging.policy.confirmDelete', { name: p.name })}
                    onConfirm={() => void remove(p)}
                  />
                </>
              ) : null
            }
          />
        ),
      )}
    </>
  );
}

function PolicyCard({ policy: p, channels, actions }: { policy: Policy; channels: NotificationChannel[]; actions: ReactNode }) {
  const { t } = useI18n();
  const kindLabel = useKindLabel();
  const kindOf = (name: string) => channels.find((c) => c.name === name)?.kind ?? 'channel';
  const chips: string[] = [];
  if (p.match.sources?.length) chips.push(t('paging.match.sources', { list: p.match.sources.join(', ') }));
  if (p.match.minSeverity)
    chips.push(t('paging.match.minSeverity', { severity: t(`incidents.severity.${p.match.minSeverity}`) }));
  if (p.match.dedupKeyPrefix) chips.push(t('paging.match.prefix', { prefix: p.match.dedupKeyPrefix }));
  return (
    <section className="panel policy" data-testid="policy" data-policy={p.name} aria-labelledby={`policy-${p.id}`}>
      <div className="policy-head">
        <h2 id={`policy-${p.id}`}>{p.name}</h2>
        {p.isDefault ? <Badge tone="info">{t('paging.policy.default')}</Badge> : null}
        <ul className="chips" aria-label={t('paging.match.label')}>
          {chips.length === 0 ? <li className="chip chip-all">{t('paging.match.all')}</li> : null}
          {chips.map((c) => (
            <li key={c} className="chip">
              {c}
            </li>
          ))}
        </ul>
        <span className="spacer" />
        <span className="button-row">{actions}</span>
      </div>
      {p.description ? <p className="muted policy-description">{p.description}</p> : null}
      <ol className="ladder" aria-label={t('paging.ladder.label', { name: p.name })}>
        {p.levels.map((level, i) => (
          <Fragment key={i}>
            <li className="ladder-level">
              <span className="ladder-level-title">{t('paging.level', { n: i + 1 })}</span>
              <ul className="ladder-targets">
                {level.targets.map((target) => {
                  const [type, name] = targetParts(target);
                  const kind = type === 'channel' ? kindOf(name) : type;
                  return (
                    <li key={`${type}:${name}`} className={`ladder-target ladder-target-${type}`}>
                      <KindIcon kind={kind} />
                      <span className="sr-only">{t(`paging.target.${type}`)}: </span>
                      <span className="ladder-target-name">{name}</span>
                      {type === 'channel' ? <span className="ladder-target-kind">{kindLabel(kind)}</span> : null}
                    </li>
                  );
                })}
              </ul>
            </li>
            {i < p.levels.length - 1 ? (
              <li
                className="ladder-wait"
                aria-label={t('paging.ladder.after', { wait: waitText(t, level.escalateAfterSeconds) })}
              >
                <span className="ladder-wait-label">{waitText(t, level.escalateAfterSeconds)}</span>
                <span className="ladder-arrow" aria-hidden="true" />
              </li>
            ) : (
              <li className="ladder-wait ladder-end">
                <span className="ladder-wait-label">{waitText(t, level.escalateAfterSeconds)}</span>
                <span className="ladder-arrow" aria-hidden="true" />
                <span className={p.repeat > 0 ? 'ladder-repeat' : 'ladder-stop'}>
                  {p.repeat > 0 ? t('paging.repeat', { n: p.repeat }) : t('paging.noRepeat')}
                </span>
              </li>
            )}
          </Fragment>
        ))}
      </ol>
    </section>
  );
}

interface DraftTarget {
  type: TargetType;
  name: string;
}
interface DraftLevel {
  targets: DraftTarget[];
  minutes: string;
}

function toDraft(p: Policy | undefined): DraftLevel[] {
  if (!p) return [{ targets: [{ type: 'user', name: '' }], minutes: '5' }];
  return p.levels.map((l) => ({
    targets: l.targets.map((x) => {
      const [type, name] = targetParts(x);
      return { type, name };
    }),
    minutes: String(Math.round((l.escalateAfterSeconds / 60) * 100) / 100),
  }));
}

function PolicyForm(props: {
  policy?: Policy;
  channels: NotificationChannel[];
  schedules: Schedule[];
  onSaved: (p: Policy) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const kindLabel = useKindLabel();
  const { people, complete } = usePeople();
  const p = props.policy;
  const [name, setName] = useState(p?.name ?? '');
  const [description, setDescription] = useState(p?.description ?? '');
  const [levels, setLevels] = useState<DraftLevel[]>(() => toDraft(p));
  const [repeat, setRepeat] = useState(String(p?.repeat ?? 0));
  const [sources, setSources] = useState(p?.match.sources?.join(', ') ?? '');
  const [minSeverity, setMinSeverity] = useState<string>(p?.match.minSeverity ?? '');
  const [prefix, setPrefix] = useState(p?.match.dedupKeyPrefix ?? '');
  const [isDefault, setIsDefault] = useState(p?.isDefault ?? false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const setLevel = (i: number, change: (l: DraftLevel) => DraftLevel) =>
    setLevels((ls) => ls.map((l, k) => (k === i ? change(l) : l)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const list = sources
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const body: PolicyInput = {
      name: name.trim(),
      description: description.trim(),
      levels: levels.map((l) => ({
        targets: l.targets.filter((x) => x.name.trim()).map((x) => makeTarget(x.type, x.name.trim())),
        escalateAfterSeconds: Math.round(Number(l.minutes) * 60),
      })),
      repeat: Number(repeat),
      match: {
        ...(list.length ? { sources: list } : {}),
        ...(minSeverity ? { minSeverity: minSeverity as (typeof MIN_SEVERITIES)[number] } : {}),
        ...(prefix.trim() ? { dedupKeyPrefix: prefix.trim() } : {}),
      },
      isDefault,
    };
    try {
      props.onSaved(p ? await pagingApi.updatePolicy(p.id, body) : await pagingApi.createPolicy(body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const namesFor = (type: TargetType): string[] =>
    type === 'user'
      ? people.map((x: Person) => x.username)
      : type === 'schedule'
        ? props.schedules.map((s) => s.name)
        : props.channels.map((c) => c.name);
  const labelFor = (type: TargetType, n: string): string =>
    type === 'user'
      ? (() => {
          const person = people.find((x) => x.username === n);
          return person && person.name !== n ? `${person.name} (${n})` : n;
        })()
      : type === 'channel'
        ? `${n} · ${kindLabel(props.channels.find((c) => c.name === n)?.kind ?? '')}`
        : n;

  return (
    <form className="panel form-stack policy-form" onSubmit={(e) => void submit(e)} data-testid="policy-form">
      <h2>{p ? t('paging.policy.edit', { name: p.name }) : t('paging.policy.new')}</h2>
      <ProblemAlert error={error} claimed={errorPaths(error)} />
      <div className="form-grid">
        <TextField
          label={t('paging.policy.name')}
          value={name}
          required
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          error={errorAt(error, 'name')}
        />
        <TextField
          label={t('paging.policy.description')}
          value={description}
          optional
          maxLength={1000}
          className="span-2"
          onChange={(e) => setDescription(e.target.value)}
          error={errorAt(error, 'description')}
        />
      </div>
      <fieldset className="levels">
        <legend>{t('paging.policy.levels')}</legend>
        {errorAt(error, 'levels') ? <span className="field-error">{errorAt(error, 'levels')}</span> : null}
        {levels.map((level, i) => (
          <div key={i} className="level-edit" data-testid="level-edit">
            <div className="level-edit-head">
              <h3>{t('paging.level', { n: i + 1 })}</h3>
              {levels.length > 1 ? (
                <button
                  type="button"
                  className="btn btn-small btn-danger-outline"
                  onClick={() => setLevels((ls) => ls.filter((_, k) => k !== i))}
                >
                  {t('paging.level.remove', { n: i + 1 })}
                </button>
              ) : null}
            </div>
            {errorAt(error, `levels.${i}.targets`) ? (
              <span className="field-error">{errorAt(error, `levels.${i}.targets`)}</span>
            ) : null}
            {level.targets.map((target, j) => {
              const options = namesFor(target.type);
              const path = `levels.${i}.targets.${j}`;
              const fieldErr = errorAt(error, path) ?? errorAt(error, `${path}.${target.type}`);
              return (
                <div key={j} className="form-inline target-edit">
                  <SelectField
                    label={t('paging.target.type', { n: j + 1 })}
                    value={target.type}
                    onChange={(e) =>
                      setLevel(i, (l) => ({
                        ...l,
                        targets: l.targets.map((x, k) => (k === j ? { type: e.target.value as TargetType, name: '' } : x)),
                      }))
                    }
                  >
                    {(['user', 'schedule', 'channel'] as const).map((k) => (
                      <option key={k} value={k}>
                        {t(`paging.target.${k}`)}
                      </option>
                    ))}
                  </SelectField>
                  {target.type === 'user' && !complete ? (
                    <TextField
                      label={t('paging.target.name', { n: j + 1 })}
                      value={target.name}
                      list="policy-people"
                      onChange={(e) =>
                        setLevel(i, (l) => ({
                          ...l,
                          targets: l.targets.map((x, k) => (k === j ? { ...x, name: e.target.value } : x)),
                        }))
                      }
                      error={fieldErr}
                    />
                  ) : (
                    <SelectField
                      label={t('paging.target.name', { n: j + 1 })}
                      value={target.name}
                      onChange={(e) =>
                        setLevel(i, (l) => ({
                          ...l,
                          targets: l.targets.map((x, k) => (k === j ? { ...x, name: e.target.value } : x)),
                        }))
                      }
                      error={fieldErr}
                    >
                      <option value="">{t('paging.target.choose')}</option>
                      {target.name && !options.includes(target.name) ? <option value={target.name}>{target.name}</option> : null}
                      {options.map((n) => (
                        <option key={n} value={n}>
                          {labelFor(target.type, n)}
                        </option>
                      ))}
                    </SelectField>
                  )}
                  {level.targets.length > 1 ? (
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-label={t('paging.target.remove', { n: j + 1, level: i + 1 })}
                      onClick={() => setLevel(i, (l) => ({ ...l, targets: l.targets.filter((_, k) => k !== j) }))}
                    >
                      ×
                    </button>
                  ) : null}
                </div>
              );
            })}
            <div className="form-inline">
              <button
                type="button"
                className="btn btn-small"
                onClick={() => setLevel(i, (l) => ({ ...l, targets: [...l.targets, { type: 'user', name: '' }] }))}
              >
                {t('paging.target.add')}
              </button>
              <TextField
                label={i < levels.length - 1 ? t('paging.level.wait') : t('paging.level.waitLast')}
                type="number"
                min={0.1}
                max={1440}
                step="any"
                required
                className="level-minutes"
                value={level.minutes}
                onChange={(e) => setLevel(i, (l) => ({ ...l, minutes: e.target.value }))}
                error={errorAt(error, `levels.${i}.escalateAfterSeconds`)}
              />
            </div>
          </div>
        ))}
        <button
          type="button"
          className="btn"
          disabled={levels.length >= 10}
          onClick={() => setLevels((ls) => [...ls, { targets: [{ type: 'user', name: '' }], minutes: '10' }])}
        >
          {t('paging.level.add')}
        </button>
      </fieldset>
      <div className="form-grid">
        <TextField
          label={t('paging.policy.repeat')}
          hint={t('paging.policy.repeatHint')}
          type="number"
          min={0}
          max={10}
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          error={errorAt(error, 'repeat')}
        />
        <TextField
          label={t('paging.policy.sources')}
          hint={t('paging.policy.sourcesHint')}
          value={sources}
          optional
          onChange={(e) => setSources(e.target.value)}
          error={fieldError(error, 'sources') ?? errorAt(error, 'match.sources')}
        />
        <SelectField
          label={t('paging.policy.minSeverity')}
          value={minSeverity}
          onChange={(e) => setMinSeverity(e.target.value)}
          error={errorAt(error, 'match.minSeverity')}
        >
          <option value="">{t('paging.policy.anySeverity')}</option>
          {MIN_SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {t(`incidents.severity.${s}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('paging.policy.prefix')}
          value={prefix}
          optional
          onChange={(e) => setPrefix(e.target.value)}
          error={errorAt(error, 'match.dedupKeyPrefix')}
        />
      </div>
      <label className="check">
        <input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault(e.target.checked)} />
        {t('paging.policy.isDefault')}
      </label>
      {errorAt(error, 'isDefault') ? <span className="field-error">{errorAt(error, 'isDefault')}</span> : null}
      <datalist id="policy-people">
        {people.map((x) => (
          <option key={x.id} value={x.username}>
            {x.name}
          </option>
        ))}
      </datalist>
      <div className="form-actions button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {p ? t('common.save') : t('paging.policy.create')}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
