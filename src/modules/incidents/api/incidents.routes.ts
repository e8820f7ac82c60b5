import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { invalid } from '../../../core/errors.ts';
import { iso } from '../../../core/clock.ts';
import type { RaisedSignal } from '../../../core/signals.ts';
import type { IncidentsService, Incident, IncidentDetail } from '../incidents.service.ts';
import type { IncidentsSink } from '../incidents.sink.ts';
import {
  completenessQuery,
  idParams,
  listIncidentsQuery,
  noQuery,
  noteBody,
  postmortemBody,
  resolveBody,
  signalBody,
} from './incidents.schemas.ts';

const MAX_COMPLETENESS_DAYS = 366;

/** Incidents, their timelines, the completeness record, and raising signals over the API. */
export function incidentsRoutes(d: { service: IncidentsService; sink: IncidentsSink }): AnyRoute[] {
  const { service } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents',
      permission: 'incidents.read',
      query: listIncidentsQuery,
      summary: 'List incidents, newest first, filtered by state, source, severity and opening time; keyset pages',
      handler: (ctx) => service.list(ctx.db, ctx.query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/completeness',
      permission: 'incidents.read',
      query: completenessQuery,
      summary: 'Daily completeness record: deviations vs signals registered on incidents, and checks expected vs executed',
      handler: (ctx) => {
        const to = ctx.query.to ?? iso(ctx.clock.now()).slice(0, 10);
        const fromDate = new Date(`${to}T00:00:00.000Z`);
        fromDate.setUTCDate(fromDate.getUTCDate() - 6);
        const from = ctx.query.from ?? iso(fromDate).slice(0, 10);
        const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
        if (days < 0 || days >= MAX_COMPLETENESS_DAYS)
          throw invalid('range_invalid', `from must not be after to, and the range is at most ${MAX_COMPLETENESS_DAYS} days`, [
            { path: 'query.from', message: 'bad range' },
          ]);
        return service.completeness(ctx.db, from, to);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:id',
      permission: 'incidents.read',
      params: idParams,
      query: noQuery,
      summary: 'One incident with its timeline',
      handler: (ctx): Promise<IncidentDetail> => {
        ctx.audit.target(`incident:${ctx.params.id}`);
        return service.get(ctx.db, ctx.params.id);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:id/ack',
      permission: 'incidents.ack',
      params: idParams,
      summary: 'Acknowledge an incident (stops escalation)',
      async handler(ctx): Promise<Incident> {
        ctx.audit.target(`incident:${ctx.params.id}`);
        const { before, after } = await service.ack(ctx.db, ctx.params.id, ctx.actor);
        ctx.audit.change({ type: 'incident', id: after.id, before: { ...before }, after: { ...after } });
        return after;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:id/resolve',
      permission: 'incidents.resolve',
      params: idParams,
      body: resolveBody,
      summary: 'Resolve an incident by hand',
      async handler(ctx): Promise<Incident> {
        ctx.audit.target(`incident:${ctx.params.id}`);
        const { before, after } = await service.resolve(ctx.db, ctx.params.id, ctx.actor, ctx.body?.note);
        ctx.audit.change({ type: 'incident', id: after.id, before: { ...before }, after: { ...after } });
        return after;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:id/notes',
      permission: 'incidents.note',
      params: idParams,
      body: noteBody,
      summary: 'Add a note to an incident’s timeline',
      async handler(ctx): Promise<{ seq: number }> {
        ctx.audit.target(`incident:${ctx.params.id}`);
        const seq = await service.note(ctx.db, ctx.params.id, ctx.actor, ctx.body.text);
        ctx.audit.change({
          type: 'incident_timeline',
          id: `${ctx.params.id}#${seq}`,
          before: null,
          after: { kind: 'note', text: ctx.body.text },
        });
        ctx.status(201);
        return { seq };
      },
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/incidents/:id/postmortem',
      permission: 'incidents.postmortem',
      params: idParams,
      body: postmortemBody,
      summary: 'Write or replace the postmortem of a resolved incident',
      async handler(ctx): Promise<Incident> {
        ctx.audit.target(`incident:${ctx.params.id}`);
        const { before, after } = await service.postmortem(ctx.db, ctx.params.id, ctx.actor, ctx.body);
        ctx.audit.change({
          type: 'incident',
          id: after.id,
          before: { postmortem: before.postmortem },
          after: { postmortem: after.postmortem },
        });
        return after;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/signals',
      permission: 'signals.create',
      body: signalBody,
      summary: 'Raise a signal (backup jobs, scripts, other systems): registered on an incident, never dropped',
      async handler(ctx): Promise<RaisedSignal> {
        const b = ctx.body;
        const raised = await d.sink.raise(ctx.db, {
          source: b.source,
          dedupKey: b.dedupKey,
          status: b.status,
          severity: b.severity,
          summary: b.summary,
          details: b.details,
          occurredAt: b.occurredAt ? new Date(b.occurredAt) : undefined,
          parentKey: b.parentKey,
          component: b.component,
          autoResolve: b.autoResolve,
        });
        ctx.audit.target(`incident:${raised.incidentId}`);
        ctx.audit.change({
          type: 'signal',
          id: raised.signalId,
          before: null,
          after: { ...raised, source: b.source, dedupKey: b.dedupKey, status: b.status },
        });
        ctx.status(201);
        return raised;
      },
    }),
  ];
}
