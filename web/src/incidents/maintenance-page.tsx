import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useSession } from '../app/session.tsx';
import {
  Badge,
  ConfirmButton,
  Notice,
  PageHeader,
  ProblemAlert,
  SelectField,
  TextField,
  fieldError,
  ListTable,
} from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { wallTimeToUtc } from '../i18n/format.ts';
import { incidentsApi, type MaintenanceWindow, type NewWindow } from './incidents.api.ts';
import './incidents.css';

const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
/** Weekly windows follow Copenhagen wall time (DST included) unless the API is told otherwise. */
const WINDOW_ZONE = 'Europe/Copenhagen';

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Maintenance windows: signals inside them are registered as expected with the change reference, and not paged. */
export function MaintenancePage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const canWrite = session.can('maintenance.write');
  const [items, setItems] = useState<MaintenanceWindow[] | null>(null);
  const [showEnded, setShowEnded] = useState(false);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await incidentsApi.windows(showEnded)).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [showEnded]);
  useEffect(() => void load(), [load]);

  const remove = async (w: MaintenanceWindow) => {
    setError(null);
    try {
      const r = await incidentsApi.deleteWindow(w.id);
      setNotice(
        r.outcome === 'ended' ? t('maintenance.ended', { title: w.title }) : t('maintenance.deleted', { title: w.title }),
      );
      await load();
    } catch (err) {
      setError(err);
    }
  };

  const schedule = (w: MaintenanceWindow) =>
    w.kind === 'once'
      ? `${dateTime(w.startsAt, false)} – ${dateTime(w.endsAt, false)}`
      : t('maintenance.weeklyText', {
          days: w.weekdays.map((d) => t(`maintenance.day.${d}` as 'maintenance.day.1')).join(', '),
          time: w.localTime ?? '',
          minutes: w.durationMinutes ?? 0,
          zone: w.timeZone,
        });

  return (
    <>
      <PageHeader title={t('maintenance.title')}>
        <label className="check">
          <input type="checkbox" checked={showEnded} onChange={(e) => setShowEnded(e.target.checked)} />
          {t('maintenance.showEnded')}
        </label>
        {canWrite ? (
          <button type="button" className="btn btn-primary" aria-expanded={creating} onClick={() => setCreating((c) => !c)}>
            {t('maintenance.new')}
          </button>
        ) : null}
      </PageHeader>
      <p className="muted">{t('maintenance.intro')}</p>
      {creating ? (
        <CreateWindowForm
          onCancel={() => setCreating(false)}
          onCreated={(w) => {
            setCreating(false);
            setNotice(t('maintenance.created', { title: w.title }));
            void load();
          }}
        />
      ) : null}
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {items === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {items ? (
        <ListTable
          testId="maintenance-table"
          columns={[
            t('maintenance.col.title'),
            t('maintenance.col.change'),
            t('maintenance.col.scope'),
            t('maintenance.col.schedule'),
            t('maintenance.col.status'),
            ...(canWrite ? [t('users.col.actions')] : []),
          ]}
          empty={t('maintenance.empty')}
          isEmpty={items.length === 0}
        >
          {items.map((w) => (
            <tr key={w.id} className={w.endedAt ? 'row-muted' : undefined}>
              <td className="strong">{w.title}</td>
              <td className="mono">{w.changeRef}</td>
              <td className="mono small">{[...w.keyPrefixes.map((p) => `${p}*`), ...w.components].join(', ')}</td>
              <td>{schedule(w)}</td>
              <td className="nowrap">
                {w.endedAt ? (
                  <Badge tone="neutral">{t('maintenance.status.ended')}</Badge>
                ) : w.activeNow ? (
                  <Badge tone="warn">{t('maintenance.status.active')}</Badge>
                ) : w.nextStart ? (
                  <span className="small">{t('maintenance.status.next', { at: dateTime(w.nextStart, false) })}</span>
                ) : (
                  <Badge tone="neutral">{t('maintenance.status.none')}</Badge>
                )}
              </td>
              {canWrite ? (
                <td>
                  {!w.endedAt ? (
                    <ConfirmButton
                      label={t('maintenance.remove')}
                      question={t('maintenance.confirmRemove', { title: w.title })}
                      onConfirm={() => void remove(w)}
                    />
                  ) : null}
                </td>
              ) : null}
            </tr>
          ))}
        </ListTable>
      ) : null}
    </>
  );
}

function CreateWindowForm({ onCreated, onCancel }: { onCreated: (w: MaintenanceWindow) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const [kind, setKind] = useState<'once' | 'weekly'>('once');
  const [title, setTitle] = useState('');
  const [changeRef, setChangeRef] = useState('');
  const [prefixes, setPrefixes] = useState('');
  const [components, setComponents] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [days, setDays] = useState<number[]>([7]);
  const [time, setTime] = useState('02:00');
  const [duration, setDuration] = useState('120');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const startsAt =
      kind === 'once' ? wallTimeToUtc(start, WINDOW_ZONE) : (wallTimeToUtc(start, WINDOW_ZONE) ?? new Date().toISOString());
    const body: NewWindow = {
      title: title.trim(),
      changeRef: changeRef.trim(),
      keyPrefixes: list(prefixes),
      components: list(components),
      kind,
      startsAt: startsAt ?? '',
      ...(kind === 'once'
        ? { endsAt: wallTimeToUtc(end, WINDOW_ZONE) ?? '' }
        : { weekdays: days, localTime: time, durationMinutes: Number(duration), timeZone: WINDOW_ZONE }),
    };
    try {
      onCreated(await incidentsApi.createWindow(body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel form-stack" onSubmit={(e) => void submit(e)} data-testid="maintenance-form">
      <h2>{t('maintenance.new')}</h2>
      <ProblemAlert error={error} claimed={['title', 'changeRef', 'keyPrefixes', 'startsAt', 'endsAt']} />
      <div className="form-grid">
        <TextField
          label={t('maintenance.col.title')}
          value={title}
          maxLength={256}
          required
          onChange={(e) => setTitle(e.target.value)}
          error={fieldError(error, 'title')}
        />
        <TextField
          label={t('maintenance.col.change')}
          value={changeRef}
          maxLength={256}
          required
          onChange={(e) => setChangeRef(e.target.value)}
          error={fieldError(error, 'changeRef')}
        />
        <TextField
          label={t('maintenance.prefixes')}
          hint={t('maintenance.prefixesHint')}
          value={prefixes}
          onChange={(e) => setPrefixes(e.target.value)}
          error={fieldError(error, 'keyPrefixes')}
        />
        <TextField
          label={t('maintenance.components')}
          hint={t('maintenance.componentsHint')}
          value={components}
          onChange={(e) => setComponents(e.target.value)}
        />
        <SelectField
          label={t('maintenance.kind')}
          value={kind}
          onChange={(e) => setKind(e.target.value === 'weekly' ? 'weekly' : 'once')}
        >
          <option value="once">{t('maintenance.kind.once')}</option>
          <option value="weekly">{t('maintenance.kind.weekly')}</option>
        </SelectField>
        <TextField
          label={kind === 'once' ? t('maintenance.start') : t('maintenance.validFrom')}
          type="datetime-local"
          value={start}
          required={kind === 'once'}
          optional={kind === 'weekly'}
          hint={t('maintenance.zoneHint', { zone: WINDOW_ZONE })}
          onChange={(e) => setStart(e.target.value)}
          error={fieldError(error, 'startsAt')}
        />
        {kind === 'once' ? (
          <TextField
            label={t('maintenance.end')}
            type="datetime-local"
            value={end}
            required
            onChange={(e) => setEnd(e.target.value)}
            error={fieldError(error, 'endsAt')}
          />
        ) : (
          <>
            <TextField
              label={t('maintenance.time')}
              type="time"
              value={time}
              required
              onChange={(e) => setTime(e.target.value)}
            />
            <TextField
              label={t('maintenance.duration')}
              type="number"
              min={1}
              max={10080}
              value={duration}
              required
              onChange={(e) => setDuration(e.target.value)}
            />
            <fieldset className="span-all weekday-picker">
              <legend>{t('maintenance.weekdays')}</legend>
              {WEEKDAYS.map((d) => (
                <label key={d} className="check">
                  <input
                    type="checkbox"
                    checked={days.includes(d)}
                    onChange={(e) => setDays((prev) => (e.target.checked ? [...prev, d].sort() : prev.filter((x) => x !== d)))}
                  />
                  {t(`maintenance.day.${d}`)}
                </label>
              ))}
            </fieldset>
          </>
        )}
      </div>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('maintenance.create')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
