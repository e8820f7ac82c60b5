import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { DIALECTS } from '../../../../test/databases.ts';
import { createUserWithToken } from '../../../../test/identity.ts';
import type { Incident } from '../../incidents/index.ts';
import type { IssuedKey, OnCallNow, Override, Schedule, ScheduleGaps, ShiftView } from '../index.ts';

type Headers = Record<string, string>;

describe.each(DIALECTS)('on-call API on $dialect', ({ dialect, skip }) => {
  let t: TestApp;
  let operator: Headers;
  let viewer: Headers;
  let ann: string;
  let bob: string;
  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect, { manualClock: true });
    // Nine days before the March DST change: the 14-day horizon spans it.
    t.manualClock!.set('2026-03-20T10:00:00.000Z');
    const op = await createUserWithToken(t, 'operator');
    operator = op.headers;
    ann = op.user.id;
    const v = await createUserWithToken(t, 'viewer');
    viewer = v.headers;
    bob = v.user.id;
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Headers, payload?: unknown) =>
    t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const daily = (over: Record<string, unknown> = {}) => ({
    id: 'primary',
    name: 'Primary',
    users: [ann, bob],
    rotation: 'daily',
    handoffTime: '08:00',
    startDate: '2026-03-20',
    ...over,
  });
  const create = async (body: Record<string, unknown>) => {
    const res = await api('POST', '/api/v1/oncall/schedules', operator, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Schedule>();
  };
  const auditChanges = async (action: string) => {
    await t.audit.sink.flush();
    const rows = await t.database.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('action', '=', action)
      .orderBy('seq')
      .execute();
    return rows.map(
      (r) => JSON.parse(r.entry) as { outcome: string; changes?: { type: string; before: unknown; after: unknown }[] },
    );
  };

  it.skipIf(skip)(
    'creates a schedule (audited), lists it to a viewer, and resolves shifts across the March DST change',
    async () => {
      const s = await create({ name: 'Ops', layers: [daily()] });
      expect(s).toMatchObject({ name: 'Ops', timeZone: 'Europe/Copenhagen', hasCalendarKey: false, gapFiring: false });
      expect(s.layers[0]).toMatchObject({ id: 'primary', every: 1, restriction: null });
      const changes = await auditChanges('oncall.schedules.create');
      expect(changes.at(-1)?.changes?.[0]).toMatchObject({
        type: 'oncall_schedule',
        before: null,
        after: { id: s.id, name: 'Ops' },
      });

      const list = await api('GET', '/api/v1/oncall/schedules', viewer);
      expect(list.statusCode).toBe(200);
      expect(list.json<{ items: Schedule[] }>().items.map((x) => x.id)).toContain(s.id);

      const shifts = await api(
        'GET',
        `/api/v1/oncall/schedules/${s.id}/shifts?from=2026-03-28T07:00:00Z&to=2026-03-30T06:00:00Z`,
        viewer,
      );
      expect(shifts.statusCode).toBe(200);
      expect(shifts.json<{ items: ShiftView[] }>().items.map((x) => [x.userId, x.start, x.end])).toEqual([
        [ann, '2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z'],
        [bob, '2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z'],
      ]);
      await api('DELETE', `/api/v1/oncall/schedules/${s.id}`, operator);
    },
  );

  it.skipIf(skip)('rejects bad definitions with precise codes', async () => {
    const post = (body: unknown) => api('POST', '/api/v1/oncall/schedules', operator, body);
    const code = async (body: unknown) => {
      const res = await post(body);
      return [
        res.statusCode,
        res.json<{ code: string; errors?: { path: string }[] }>().code,
        res.json<{ errors?: { path: string }[] }>().errors?.[0]?.path,
      ];
    };
    expect(await code({ name: 'x', timeZone: 'Mars/Olympus' })).toEqual([400, 'oncall_time_zone_unknown', 'body.timeZone']);
    expect(await code({ name: 'x', layers: [daily({ users: [ann, 'ghost'] })] })).toEqual([
      400,
      'oncall_user_not_found',
      'body.layers.0.users.1',
    ]);
    expect(await code({ name: 'x', layers: [daily(), daily()] })).toEqual([400, 'oncall_layer_id_duplicate', 'body.layers.1.id']);
    expect((await code({ name: 'x', layers: [daily({ handoffTime: '24:00' })] })).slice(0, 2)).toEqual([
      400,
      'validation_failed',
    ]);
    expect((await code({ name: 'x', layers: [daily({ every: 2 })] })).slice(0, 2)).toEqual([400, 'validation_failed']);
    expect((await code({ name: 'x', extra: 1 })).slice(0, 2)).toEqual([400, 'validation_failed']);
    expect(
      (await code({ name: 'x', layers: [daily({ restriction: { weekdays: [8], from: '08:00', to: '17:00' } })] })).slice(0, 2),
    ).toEqual([400, 'validation_failed']);
    expect((await api('POST', '/api/v1/oncall/schedules', viewer, { name: 'x' })).json()).toMatchObject({
      status: 403,
      code: 'permission_denied',
    });
    const missing = await api('GET', '/api/v1/oncall/schedules/00000000-0000-4000-8000-000000000000', viewer);
    expect([missing.statusCode, missing.json<{ code: string }>().code]).toEqual([404, 'oncall_schedule_not_found']);
    const range = await api(
      'GET',
      '/api/v1/oncall/schedules/00000000-0000-4000-8000-000000000000/shifts?from=2026-03-21T00:00:00Z&to=2026-03-20T00:00:00Z',
      viewer,
    );
    expect(range.json<{ code: string }>().code).toBe('oncall_range_invalid');
  });

  it.skipIf(skip)('adds and removes overrides that beat every layer, with audit records and precise codes', async () => {
    const s = await create({ name: 'Override me', layers: [daily()] });
    const url = `/api/v1/oncall/schedules/${s.id}/overrides`;
    const o = await api('POST', url, operator, {
      userId: ann,
      startsAt: '2026-03-21T12:00:00+01:00',
      endsAt: '2026-03-21T14:00:00+01:00',
      reason: 'swap',
    });
    expect(o.statusCode, o.body).toBe(201);
    const override = o.json<Override>();
    expect(override).toMatchObject({ userId: ann, startsAt: '2026-03-21T11:00:00.000Z', endsAt: '2026-03-21T13:00:00.000Z' });
    const shifts = await api(
      'GET',
      `/api/v1/oncall/schedules/${s.id}/shifts?from=2026-03-21T07:00:00Z&to=2026-03-21T20:00:00Z`,
      viewer,
    );
    // 03-21 is bob's rotation day; ann covers two hours of it.
    expect(shifts.json<{ items: ShiftView[] }>().items.map((x) => [x.userId, x.start, x.end, x.sourceType])).toEqual([
      [bob, '2026-03-21T07:00:00.000Z', '2026-03-21T11:00:00.000Z', 'layer'],
      [ann, '2026-03-21T11:00:00.000Z', '2026-03-21T13:00:00.000Z', 'override'],
      [bob, '2026-03-21T13:00:00.000Z', '2026-03-21T20:00:00.000Z', 'layer'],
    ]);
    const detail = await api('GET', `/api/v1/oncall/schedules/${s.id}`, viewer);
    expect(detail.json<{ overrides: Override[] }>().overrides.map((x) => x.id)).toEqual([override.id]);

    const bad = async (body: Record<string, unknown>) =>
      (await api('POST', url, operator, { userId: ann, ...body })).json<{ code: string }>().code;
    expect(await bad({ startsAt: '2026-03-22T10:00:00Z', endsAt: '2026-03-22T09:00:00Z' })).toBe('oncall_override_range_invalid');
    expect(await bad({ startsAt: '2026-03-01T10:00:00Z', endsAt: '2026-03-02T09:00:00Z' })).toBe('oncall_override_in_past');
    expect(await bad({ startsAt: '2026-03-22T10:00:00Z', endsAt: '2026-09-22T09:00:00Z' })).toBe('oncall_override_too_long');
    expect(await bad({ userId: 'ghost', startsAt: '2026-03-22T10:00:00Z', endsAt: '2026-03-22T11:00:00Z' })).toBe(
      'oncall_user_not_found',
    );
    expect(await bad({ startsAt: 'tomorrow', endsAt: '2026-03-22T11:00:00Z' })).toBe('validation_failed');

    const del = await api('DELETE', `${url}/${override.id}`, operator);
    expect(del.statusCode).toBe(204);
    const again = await api('DELETE', `${url}/${override.id}`, operator);
    expect([again.statusCode, again.json<{ code: string }>().code]).toEqual([404, 'oncall_override_not_found']);
    const audits = await auditChanges('oncall.overrides.delete');
    expect(audits.map((a) => a.outcome)).toEqual(['allowed', 'failed']);
    expect(audits[0]?.changes?.[0]).toMatchObject({ type: 'oncall_override', before: { id: override.id }, after: null });
    await api('DELETE', `/api/v1/oncall/schedules/${s.id}`, operator);
  });

  it.skipIf(skip)('says who is on call now and next', async () => {
    const s = await create({ name: 'Now', layers: [daily()] });
    const res = await api('GET', '/api/v1/oncall/now', viewer);
    const mine = res.json<{ items: OnCallNow[] }>().items.find((x) => x.scheduleId === s.id);
    // 2026-03-20 10:00Z is after the first 08:00 (07:00Z) hand-off: ann until 03-21 07:00Z, then bob.
    expect(mine?.current).toMatchObject({ userId: ann, start: '2026-03-20T07:00:00.000Z', end: '2026-03-21T07:00:00.000Z' });
    expect(mine?.next).toMatchObject({ userId: bob, start: '2026-03-21T07:00:00.000Z' });
    await api('DELETE', `/api/v1/oncall/schedules/${s.id}`, operator);
  });

  it.skipIf(skip)('raises a major gap signal naming the first gap in local time, and resolves it once covered', async () => {
    const business = daily({ id: 'business', restriction: { weekdays: [1, 2, 3, 4, 5], from: '08:00', to: '17:00' } });
    const s = await create({ name: 'Business only', layers: [business] });
    const gaps = await api('GET', '/api/v1/oncall/gaps', viewer);
    const mine = gaps.json<{ items: ScheduleGaps[] }>().items.find((x) => x.scheduleId === s.id);
    // Friday 2026-03-20 17:00 CET = 16:00Z is the first moment nobody covers.
    expect(mine?.gaps[0]).toEqual({ start: '2026-03-20T16:00:00.000Z', end: '2026-03-23T07:00:00.000Z' });

    const first = await t.oncall.coverage.perform();
    expect(first.find((r) => r.scheduleId === s.id)).toMatchObject({
      status: 'ok',
      effect: 'raised',
      firstGap: '2026-03-20T16:00:00.000Z',
    });
    expect((await t.oncall.coverage.perform()).find((r) => r.scheduleId === s.id)?.effect).toBe('unchanged');
    const incidents = async () =>
      (await api('GET', '/api/v1/incidents?source=oncall', operator))
        .json<{ items: Incident[] }>()
        .items.filter((i) => i.dedupKey === `oncall:gap:${s.id}`);
    const [opened] = await incidents();
    expect(opened).toMatchObject({ severity: 'major', state: 'triggered' });
    expect(opened?.summary).toBe(
      'Nobody on call for Business only from 2026-03-20 17:00 to 2026-03-23 08:00 (Europe/Copenhagen)',
    );

    // A 24/7 layer underneath fills every gap.
    const patched = await api('PATCH', `/api/v1/oncall/schedules/${s.id}`, operator, {
      layers: [daily({ id: 'base', users: [bob] }), business],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const second = await t.oncall.coverage.perform();
    expect(second.find((r) => r.scheduleId === s.id)).toMatchObject({ status: 'ok', effect: 'resolved', firstGap: null });
    const [resolved] = await incidents();
    expect(resolved).toMatchObject({ id: opened?.id, state: 'resolved' });
    await api('DELETE', `/api/v1/oncall/schedules/${s.id}`, operator);
  });

  it.skipIf(skip)('resolves a firing gap signal when its schedule is deleted', async () => {
    const s = await create({ name: 'Doomed', layers: [] });
    expect((await t.oncall.coverage.perform()).find((r) => r.scheduleId === s.id)?.effect).toBe('raised');
    expect((await api('DELETE', `/api/v1/oncall/schedules/${s.id}`, operator)).statusCode).toBe(204);
    const list = (await api('GET', '/api/v1/incidents?source=oncall', operator)).json<{ items: Incident[] }>().items;
    expect(list.find((i) => i.dedupKey === `oncall:gap:${s.id}`)).toMatchObject({ state: 'resolved' });
    const audit = await auditChanges('oncall.schedules.delete');
    expect(audit.at(-1)?.changes?.[0]).toMatchObject({ type: 'oncall_schedule', before: { id: s.id }, after: null });
    const gone = await api('GET', `/api/v1/oncall/schedules/${s.id}`, viewer);
    expect(gone.json<{ code: string }>().code).toBe('oncall_schedule_not_found');
  });

  it.skipIf(skip)('serves iCalendar feeds only with the current secret key, per schedule and per user', async () => {
    const s = await create({ name: 'Feed', layers: [daily()] });
    const feed = (key: string) =>
      t.app.inject({ method: 'GET', url: `/api/v1/oncall/schedules/${s.id}/calendar.ics?key=${encodeURIComponent(key)}` });
    const none = await feed('anything');
    expect([none.statusCode, none.json<{ code: string }>().code]).toEqual([404, 'oncall_calendar_not_found']);

    const rotate = await api('POST', `/api/v1/oncall/schedules/${s.id}/calendar-key`, operator);
    expect(rotate.statusCode).toBe(201);
    const issued = rotate.json<IssuedKey>();
    expect(issued.url).toBe(`/api/v1/oncall/schedules/${s.id}/calendar.ics?key=${issued.key}`);
    const ok = await feed(issued.key);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('text/calendar; charset=utf-8');
    expect(ok.body.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(ok.body.split('\r\n').every((l) => !l.includes('\n') && Buffer.byteLength(l) <= 75)).toBe(true);
    // Past 7 days (before the first hand-off: nothing) through 60 days ahead; the first shift starts 03-20 08:00 local.
    expect(ok.body).toContain('\r\nDTSTART:20260320T070000Z\r\nDTEND:20260321T070000Z\r\n');
    expect(ok.body).toContain('\r\nDTSTART:20260329T060000Z\r\n');
    expect(ok.body).toContain(`UID:${s.id}-`);
    expect(ok.body).toContain('DTSTAMP:20260320T100000Z');
    expect((await feed('wrong')).statusCode).toBe(404);

    // The key is stored hashed and redacted in the audit log.
    const row = await t.database.db
      .selectFrom('oncall_schedules')
      .select('calendar_key_hash')
      .where('id', '=', s.id)
      .executeTakeFirstOrThrow();
    expect(row.calendar_key_hash).not.toContain(issued.key);
    const audit = await auditChanges('oncall.calendar.rotate');
    expect(JSON.stringify(audit)).not.toContain(issued.key);
    expect(audit.at(-1)?.changes?.[0]?.after).toEqual({ calendarKey: '[redacted]' });

    const rotated = (await api('POST', `/api/v1/oncall/schedules/${s.id}/calendar-key`, operator)).json<IssuedKey>();
    expect((await feed(issued.key)).statusCode).toBe(404);
    expect((await feed(rotated.key)).statusCode).toBe(200);
    expect((await api('POST', `/api/v1/oncall/schedules/${s.id}/calendar-key`, viewer)).statusCode).toBe(403);

    const userKey = (await api('POST', `/api/v1/oncall/users/${bob}/calendar-key`, operator)).json<IssuedKey>();
    const mine = await t.app.inject({ method: 'GET', url: userKey.url });
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('SUMMARY:On call: Feed');
    expect(mine.body).toContain('\r\nDTSTART:20260321T070000Z\r\n');
    expect(mine.body).not.toContain('DTSTART:20260320T070000Z');
    // Another user's id with bob's key, and the schedule key on the user feed, both fail.
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/oncall/users/${ann}/calendar.ics?key=${userKey.key}` })).statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/oncall/users/${bob}/calendar.ics?key=${rotated.key}` })).statusCode,
    ).toBe(404);
    // A viewer issues their own personal key (and cannot issue anyone else's).
    const own = await api('POST', '/api/v1/oncall/me/calendar-key', viewer);
    expect(own.statusCode).toBe(201);
    expect(own.json<IssuedKey>().url).toContain(`/api/v1/oncall/users/${bob}/calendar.ics?key=`);
    expect((await t.app.inject({ method: 'GET', url: userKey.url })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: own.json<IssuedKey>().url })).statusCode).toBe(200);
    expect((await api('POST', `/api/v1/oncall/users/${ann}/calendar-key`, viewer)).statusCode).toBe(403);
    const ghost = await api('POST', '/api/v1/oncall/users/ghost/calendar-key', operator);
    expect([ghost.statusCode, ghost.json<{ code: string }>().code]).toEqual([404, 'oncall_user_not_found']);
    await api('DELETE', `/api/v1/oncall/schedules/${s.id}`, operator);
  });
});
