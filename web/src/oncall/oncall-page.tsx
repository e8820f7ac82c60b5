import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSession } from '../app/session.tsx';
import {
  Badge,
  ConfirmButton,
  CopyButton,
  Notice,
  PageHeader,
  ProblemAlert,
  SelectField,
  TextField,
  fieldError,
  ListTable,
} from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { utcToWallTime, wallTimeToUtc } from '../i18n/format.ts';
import { oncallApi, type IssuedKey, type OnCallNow, type Override, type Schedule, type ShiftView } from './oncall.api.ts';
import './oncall.css';

const DAYS = 14;
const PALETTE = ['#2563eb', '#d97706', '#059669', '#9333ea', '#0891b2', '#db2777', '#4d7c0f', '#7c2d12'];

const assigned = new Map<string, string>();
/** A colour per person, handed out in the order people first appear (distinct for the first eight). */
function colourOf(userId: string): string {
  let c = assigned.get(userId);
  if (!c) {
    c = PALETTE[assigned.size % PALETTE.length] ?? '#2563eb';
    assigned.set(userId, c);
  }
  return c;
}

/** Local midnights (UTC ms) of the next DAYS + 1 days in `timeZone`, starting today. */
function dayStarts(timeZone: string): { date: string; start: number }[] {
  const today = utcToWallTime(new Date().toISOString(), timeZone).slice(0, 10);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const out: { date: string; start: number }[] = [];
  for (let k = 0; k <= DAYS; k++) {
    const date = new Date(Date.UTC(y, m - 1, d + k)).toISOString().slice(0, 10);
    out.push({ date, start: Date.parse(wallTimeToUtc(`${date}T00:00`, timeZone) ?? `${date}T00:00:00Z`) });
  }
  return out;
}

/** On call: who is on call now on every schedule, a 14-day calendar per schedule with gaps in red, and overrides. */
export function OncallPage() {
  const { t, dateTime } = useI18n();
  const [now, setNow] = useState<OnCallNow[] | null>(null);
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);

  const load = useCallback(async () => {
    try {
      const [n, s] = await Promise.all([oncallApi.now(), oncallApi.schedules()]);
      setNow(n.items);
      setSchedules(s.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load, version]);

  return (
    <>
      <PageHeader title={t('oncall.title')}>
        <FeedButton label={t('oncall.feed.mine')} issue={() => oncallApi.rotateMyKey()} />
      </PageHeader>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {now === null && !error ? <p className="muted">{t('app.loading')}</p> : null}
      {now ? (
        <section className="panel" data-testid="oncall-now">
          <h2>{t('oncall.now.title')}</h2>
          <ListTable
            columns={[t('oncall.col.schedule'), t('oncall.col.now'), t('oncall.col.until'), t('oncall.col.next')]}
            empty={t('oncall.empty')}
            isEmpty={now.length === 0}
          >
            {now.map((n) => (
              <tr key={n.scheduleId}>
                <td className="strong">{n.scheduleName}</td>
                <td>
                  {n.current ? (
                    <span className="oncall-person">
                      <span className="oncall-dot" style={{ background: colourOf(n.current.userId) }} />
                      {n.current.userName}
                      {n.current.sourceType === 'override' ? <Badge tone="info">{t('oncall.override')}</Badge> : null}
                    </span>
                  ) : (
                    <Badge tone="bad">{t('oncall.nobody')}</Badge>
                  )}
                </td>
                <td className="nowrap">{n.current ? dateTime(n.current.end, false) : '—'}</td>
                <td>{n.next ? `${n.next.userName} (${dateTime(n.next.start, false)})` : '—'}</td>
              </tr>
            ))}
          </ListTable>
        </section>
      ) : null}
      {schedules?.map((s) => (
        <ScheduleCalendar key={s.id} schedule={s} version={version} onChanged={() => setVersion((v) => v + 1)} />
      ))}
    </>
  );
}

function ScheduleCalendar({ schedule, version, onChanged }: { schedule: Schedule; version: number; onChanged: () => void }) {
  const { t, dateTime, lang } = useI18n();
  const session = useSession();
  const canWrite = session.can('oncall.write');
  const days = useMemo(() => dayStarts(schedule.timeZone), [schedule.timeZone]);
  const [shifts, setShifts] = useState<ShiftView[] | null>(null);
  const [overrides, setOverrides] = useState<Override[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    const first = days[0];
    const last = days[days.length - 1];
    if (!first || !last) return;
    void (async () => {
      try {
        const [sh, detail] = await Promise.all([
          oncallApi.shifts(schedule.id, new Date(first.start).toISOString(), new Date(last.start).toISOString()),
          oncallApi.schedule(schedule.id),
        ]);
        setShifts(sh.items);
        setOverrides(detail.overrides);
      } catch (err) {
        setError(err);
      }
    })();
  }, [schedule.id, days, version]);

  const people = useMemo(() => {
    const m = new Map<string, string>();
    for (const s of shifts ?? []) m.set(s.userId, s.userName);
    return [...m.entries()];
  }, [shifts]);
  const nowMs = Date.now();
  const dayLabel = new Intl.DateTimeFormat(lang === 'da' ? 'da-DK' : 'en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });

  const remove = async (o: Override) => {
    try {
      await oncallApi.removeOverride(schedule.id, o.id);
      setNotice(t('oncall.override.removed'));
      onChanged();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="panel oncall-schedule" data-testid="oncall-calendar">
      <div className="oncall-head">
        <h2>{schedule.name}</h2>
        <span className="muted small">{schedule.timeZone}</span>
        {schedule.gapFiring ? <Badge tone="bad">{t('oncall.gapFiring')}</Badge> : null}
        {canWrite ? (
          <FeedButton label={t('oncall.feed.schedule')} issue={() => oncallApi.rotateScheduleKey(schedule.id)} />
        ) : null}
        {canWrite ? (
          <button type="button" className="btn btn-small" aria-expanded={adding} onClick={() => setAdding((a) => !a)}>
            {t('oncall.override.new')}
          </button>
        ) : null}
      </div>
      {notice ? <Notice onDismiss={() => setNotice(null)}>{notice}</Notice> : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      {adding ? (
        <OverrideForm
          schedule={schedule}
          people={people}
          onCancel={() => setAdding(false)}
          onCreated={() => {
            setAdding(false);
            setNotice(t('oncall.override.created'));
            onChanged();
          }}
        />
      ) : null}
      <ul className="oncall-legend">
        {people.map(([id, name]) => (
          <li key={id}>
            <span className="oncall-dot" style={{ background: colourOf(id) }} />
            {name}
          </li>
        ))}
        <li>
          <span className="oncall-dot oncall-gap-dot" />
          {t('oncall.gap')}
        </li>
      </ul>
      <div className="oncall-grid" role="table" aria-label={t('oncall.calendar', { name: schedule.name })}>
        <div className="oncall-row oncall-hours" role="row" aria-hidden="true">
          <span className="oncall-day" />
          <div className="oncall-track oncall-scale">
            {[0, 6, 12, 18].map((h) => (
              <span key={h} style={{ left: `${(h / 24) * 100}%` }}>{`${String(h).padStart(2, '0')}:00`}</span>
            ))}
          </div>
        </div>
        {days.slice(0, DAYS).map((d, i) => {
          const end = days[i + 1]?.start ?? d.start + 86_400_000;
          const len = end - d.start;
          const pct = (ms: number) => `${(Math.min(Math.max(ms - d.start, 0), len) / len) * 100}%`;
          const blocks = (shifts ?? []).filter((s) => Date.parse(s.start) < end && Date.parse(s.end) > d.start);
          return (
            <div className="oncall-row" role="row" key={d.date}>
              <span className="oncall-day" role="rowheader">
                {dayLabel.format(new Date(`${d.date}T00:00:00Z`))}
              </span>
              <div className={shifts ? 'oncall-track oncall-track-gap' : 'oncall-track'} role="cell">
                {blocks.map((s) => {
                  const left = pct(Date.parse(s.start));
                  const right = pct(Date.parse(s.end));
                  return (
                    <span
                      key={`${s.start}-${s.userId}`}
                      className={s.sourceType === 'override' ? 'oncall-block oncall-block-override' : 'oncall-block'}
                      style={{ left, width: `calc(${right} - ${left})`, background: colourOf(s.userId) }}
                      title={`${s.userName}: ${dateTime(s.start, false)} – ${dateTime(s.end, false)}`}
                    >
                      {s.userName}
                    </span>
                  );
                })}
                {nowMs > d.start && nowMs < end ? <span className="oncall-now-line" style={{ left: pct(nowMs) }} /> : null}
              </div>
            </div>
          );
        })}
      </div>
      {overrides.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="oncall-overrides">
            <caption className="muted small">{t('oncall.override.list')}</caption>
            <tbody>
              {overrides.map((o) => (
                <tr key={o.id}>
                  <td>{people.find(([id]) => id === o.userId)?.[1] ?? o.userId}</td>
                  <td className="nowrap">
                    {dateTime(o.startsAt, false)} – {dateTime(o.endsAt, false)}
                  </td>
                  <td>{o.reason}</td>
                  {canWrite ? (
                    <td>
                      <ConfirmButton
                        label={t('oncall.override.remove')}
                        question={t('oncall.override.confirmRemove')}
                        onConfirm={() => void remove(o)}
                      />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function OverrideForm(props: { schedule: Schedule; people: [string, string][]; onCreated: () => void; onCancel: () => void }) {
  const { t } = useI18n();
  const { schedule } = props;
  const [userId, setUserId] = useState(props.people[0]?.[0] ?? '');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await oncallApi.addOverride(schedule.id, {
        userId,
        startsAt: wallTimeToUtc(start, schedule.timeZone) ?? '',
        endsAt: wallTimeToUtc(end, schedule.timeZone) ?? '',
        reason: reason.trim(),
      });
      props.onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form-stack oncall-form" onSubmit={(e) => void submit(e)} data-testid="oncall-override-form">
      <ProblemAlert error={error} claimed={['userId', 'startsAt', 'endsAt', 'reason']} />
      <div className="form-grid">
        <SelectField
          label={t('oncall.override.user')}
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          error={fieldError(error, 'userId')}
        >
          {props.people.map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </SelectField>
        <TextField
          label={t('oncall.override.from', { zone: schedule.timeZone })}
          type="datetime-local"
          value={start}
          required
          onChange={(e) => setStart(e.target.value)}
          error={fieldError(error, 'startsAt')}
        />
        <TextField
          label={t('oncall.override.to', { zone: schedule.timeZone })}
          type="datetime-local"
          value={end}
          required
          onChange={(e) => setEnd(e.target.value)}
          error={fieldError(error, 'endsAt')}
        />
        <TextField
          label={t('oncall.override.reason')}
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy || !userId}>
          {t('oncall.override.save')}
        </button>
        <button type="button" className="btn" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Issue a new secret calendar-feed link (the old one stops working) and show it once, to copy. */
function FeedButton({ label, issue }: { label: string; issue: () => Promise<IssuedKey> }) {
  const { t } = useI18n();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const go = async () => {
    setError(null);
    try {
      setUrl(`${window.location.origin}${(await issue()).url}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <span className="oncall-feed">
      <ConfirmButton label={label} question={t('oncall.feed.confirm')} onConfirm={() => void go()} />
      {url ? (
        <span className="oncall-feed-url">
          <code className="small">{url}</code>
          <CopyButton text={url} />
        </span>
      ) : null}
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
    </span>
  );
}
