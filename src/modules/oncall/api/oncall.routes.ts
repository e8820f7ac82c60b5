import { actorRef } from '../../../core/auth.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { forbidden } from '../../../core/errors.ts';
import type { SignalSink } from '../../../core/signals.ts';
import { gapKey } from '../jobs/coverage-gaps.job.ts';
import type {
  IssuedKey,
  OncallService,
  OnCallNow,
  Override,
  Schedule,
  ScheduleApplyResult,
  ScheduleGaps,
  ShiftView,
} from '../oncall.service.ts';
import type { ScheduleDefinition } from './oncall.schemas.ts';
import {
  applySchedulesBody,
  createOverrideBody,
  createScheduleBody,
  feedQuery,
  idParams,
  noQuery,
  overrideParams,
  shiftsQuery,
  updateScheduleBody,
  userParams,
} from './oncall.schemas.ts';

const DAY = 86_400_000;
const count = (rs: readonly ScheduleApplyResult[], action: ScheduleApplyResult['action']) =>
  rs.filter((r) => r.action === action).length;

/** On-call schedules, overrides, shifts, who is on call, coverage gaps and the secret-key calendar feeds. */
export function oncallRoutes(d: { service: OncallService; signals: SignalSink; defaultTimeZone: string }): AnyRoute[] {
  const { service } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/schedules',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'List on-call schedules',
      handler: async (ctx): Promise<{ items: Schedule[] }> => ({ items: await service.list(ctx.db) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/oncall/schedules',
      permission: 'oncall.write',
      action: 'oncall.schedules.create',
      body: createScheduleBody,
      summary: 'Create an on-call schedule (layers of rotations)',
      async handler(ctx): Promise<Schedule> {
        const b = ctx.body;
        const created = await service.create(
          ctx.db,
          { name: b.name, description: b.description, timeZone: b.timeZone ?? d.defaultTimeZone, layers: b.layers },
          actorRef(ctx.actor),
        );
        ctx.audit.target(`oncall_schedule:${created.id}`);
        ctx.audit.change({ type: 'oncall_schedule', id: created.id, before: null, after: { ...created } });
        ctx.status(201);
        return created;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/oncall/schedules/apply',
      permission: 'oncall.write',
      action: 'oncall.schedules.apply',
      body: applySchedulesBody,
      summary: 'Create or update schedules from definitions, by name (idempotent; all or nothing); one result per item',
      async handler(ctx): Promise<{ results: ScheduleApplyResult[] }> {
        const results = await service.applySchedules(ctx.db, ctx.body.schedules, {
          actor: actorRef(ctx.actor),
          defaultTimeZone: d.defaultTimeZone,
          pathPrefix: 'body.schedules',
          audit: ctx.audit,
        });
        ctx.audit.detail({ created: count(results, 'created'), updated: count(results, 'updated') });
        return { results };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/schedules/export',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'Every schedule’s definition (people by username), in the form POST /api/v1/oncall/schedules/apply takes back',
      handler: async (ctx): Promise<{ schedules: ScheduleDefinition[] }> => ({
        schedules: await service.exportSchedules(ctx.db),
      }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/schedules/:id',
      permission: 'oncall.read',
      params: idParams,
      query: noQuery,
      summary: 'One on-call schedule with its current overrides',
      handler: async (ctx): Promise<Schedule & { overrides: Override[] }> => ({
        ...(await service.get(ctx.db, ctx.params.id)),
        overrides: await service.listOverrides(ctx.db, ctx.params.id),
      }),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/oncall/schedules/:id',
      permission: 'oncall.write',
      action: 'oncall.schedules.update',
      params: idParams,
      body: updateScheduleBody,
      summary: 'Change an on-call schedule (layers are replaced as a whole)',
      async handler(ctx): Promise<Schedule> {
        ctx.audit.target(`oncall_schedule:${ctx.params.id}`);
        const { before, after } = await service.update(ctx.db, ctx.params.id, ctx.body);
        ctx.audit.change({ type: 'oncall_schedule', id: after.id, before: { ...before }, after: { ...after } });
        return after;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/oncall/schedules/:id',
      permission: 'oncall.write',
      action: 'oncall.schedules.delete',
      params: idParams,
      summary: 'Delete an on-call schedule and its overrides',
      async handler(ctx): Promise<void> {
        ctx.audit.target(`oncall_schedule:${ctx.params.id}`);
        const before = await service.remove(ctx.db, ctx.params.id);
        // A gap signal of a schedule that no longer exists would never resolve otherwise.
        if (before.gapFiring) {
          await d.signals.raise(ctx.db, {
            source: 'oncall',
            dedupKey: gapKey(before.id),
            status: 'resolved',
            severity: 'major',
            summary: `On-call schedule ${before.name} was deleted`,
            autoResolve: true,
          });
        }
        ctx.audit.change({ type: 'oncall_schedule', id: before.id, before: { ...before }, after: null });
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/oncall/schedules/:id/overrides',
      permission: 'oncall.write',
      action: 'oncall.overrides.create',
      params: idParams,
      body: createOverrideBody,
      summary: 'Let a person cover a schedule from–to, beating every layer',
      async handler(ctx): Promise<Override> {
        ctx.audit.target(`oncall_schedule:${ctx.params.id}`);
        const created = await service.addOverride(ctx.db, ctx.params.id, ctx.body, actorRef(ctx.actor));
        ctx.audit.change({ type: 'oncall_override', id: created.id, before: null, after: { ...created } });
        ctx.status(201);
        return created;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/oncall/schedules/:id/overrides/:overrideId',
      permission: 'oncall.write',
      action: 'oncall.overrides.delete',
      params: overrideParams,
      summary: 'Remove an override',
      async handler(ctx): Promise<void> {
        ctx.audit.target(`oncall_schedule:${ctx.params.id}`);
        const before = await service.removeOverride(ctx.db, ctx.params.id, ctx.params.overrideId);
        ctx.audit.change({ type: 'oncall_override', id: before.id, before: { ...before }, after: null });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/schedules/:id/shifts',
      permission: 'oncall.read',
      params: idParams,
      query: shiftsQuery,
      summary: 'Who is on call when, in [from, to) (default: the next 14 days)',
      async handler(ctx): Promise<{ items: ShiftView[] }> {
        const from = ctx.query.from ? new Date(ctx.query.from) : ctx.clock.now();
        const to = ctx.query.to ? new Date(ctx.query.to) : new Date(from.getTime() + 14 * DAY);
        return { items: await service.shifts(ctx.db, ctx.params.id, from, to) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/now',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'Who is on call now (and next) on every schedule',
      handler: async (ctx): Promise<{ items: OnCallNow[] }> => ({ items: await service.now(ctx.db) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/gaps',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'Moments in the coming days with nobody on call, per schedule',
      handler: async (ctx): Promise<{ items: ScheduleGaps[] }> => ({ items: await service.gaps(ctx.db) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/oncall/schedules/:id/calendar-key',
      permission: 'oncall.write',
      action: 'oncall.calendar.rotate',
      params: idParams,
      summary: 'Issue a new secret key for the schedule’s iCalendar feed (the old key stops working)',
      async handler(ctx): Promise<IssuedKey> {
        ctx.audit.target(`oncall_schedule:${ctx.params.id}`);
        const issued = await service.rotateScheduleKey(ctx.db, ctx.params.id);
        ctx.audit.change({ type: 'oncall_calendar_key', id: ctx.params.id, before: null, after: { calendarKey: issued.key } });
        ctx.status(201);
        return issued;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/oncall/users/:id/calendar-key',
      permission: 'oncall.write',
      action: 'oncall.calendar.rotate',
      params: userParams,
      summary: 'Issue a new secret key for a user’s personal on-call iCalendar feed (the old key stops working)',
      async handler(ctx): Promise<IssuedKey> {
        ctx.audit.target(`user:${ctx.params.id}`);
        const issued = await service.rotateUserKey(ctx.db, ctx.params.id);
        ctx.audit.change({
          type: 'oncall_calendar_key',
          id: `user:${ctx.params.id}`,
          before: null,
          after: { calendarKey: issued.key },
        });
        ctx.status(201);
        return issued;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/oncall/me/calendar-key',
      permission: 'oncall.read',
      action: 'oncall.calendar.rotate',
      summary: 'Issue a new secret key for your own personal on-call iCalendar feed (the old key stops working)',
      async handler(ctx): Promise<IssuedKey> {
        const a = ctx.actor;
        if (a.type !== 'user' && a.type !== 'token')
          throw forbidden('oncall_user_required', 'only a user has a personal calendar');
        ctx.audit.target(`user:${a.userId}`);
        const issued = await service.rotateUserKey(ctx.db, a.userId);
        ctx.audit.change({
          type: 'oncall_calendar_key',
          id: `user:${a.userId}`,
          before: null,
          after: { calendarKey: issued.key },
        });
        ctx.status(201);
        return issued;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/schedules/:id/calendar.ics',
      permission: 'public',
      action: 'oncall.calendar.read',
      params: idParams,
      query: feedQuery,
      summary: 'iCalendar feed of a schedule (authorised by its secret key; wrong key: 404)',
      async handler(ctx) {
        ctx.audit.target(`oncall_schedule:${ctx.params.id}`);
        const text = await service.scheduleFeed(ctx.db, ctx.params.id, ctx.query.key);
        return ctx.reply.header('Cache-Control', 'no-store').type('text/calendar; charset=utf-8').send(text);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/users/:id/calendar.ics',
      permission: 'public',
      action: 'oncall.calendar.read',
      params: userParams,
      query: feedQuery,
      summary: 'Personal iCalendar feed of a user’s shifts on every schedule (authorised by its secret key; wrong key: 404)',
      async handler(ctx) {
        ctx.audit.target(`user:${ctx.params.id}`);
        const text = await service.userFeed(ctx.db, ctx.params.id, ctx.query.key);
        return ctx.reply.header('Cache-Control', 'no-store').type('text/calendar; charset=utf-8').send(text);
      },
    }),
  ];
}
