import { z } from 'zod';
import type { Actor } from '../../../core/auth.ts';
import type { Db } from '../../../core/db/database.ts';
import { conflict, notFound } from '../../../core/errors.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import type { PagingEngine } from '../paging.engine.ts';
import {
  channelInputSchema,
  contactInputSchema,
  policyInputSchema,
  type Contact,
  type NotificationChannel,
  type PagingSetup,
  type Policy,
} from '../paging.policies.ts';
import type { OutboxRow } from '../oncall.store.ts';

const idParams = z.strictObject({ id: z.uuid('must be an id') });
const userParams = z.strictObject({ userId: z.string().min(1).max(100) });
const noQuery = z.strictObject({});
const applyPolicies = z.strictObject({ escalationPolicies: z.array(policyInputSchema).max(500) });
const applyChannels = z.strictObject({ channels: z.array(channelInputSchema).max(500) });
const tokenParams = z.strictObject({ token: z.string().min(1).max(200) });
const pagesQuery = z.strictObject({ incidentId: z.uuid('must be an incident id') });

/** A page as the API shows it. */
export interface PageView {
  id: string;
  incidentId: string;
  level: number;
  round: number;
  recipient: string;
  state: OutboxRow['state'];
  attempts: number;
  channel: string | null;
  receipt: string | null;
  error: string | null;
  createdAt: string;
  sentAt: string | null;
  acknowledgedByLink: boolean;
}

export interface IncidentAcker {
  /** Acknowledge as this actor in the caller's transaction; false if it was not triggered any more. */
  ack(db: Db, incidentId: string, actor: Actor): Promise<{ ok: boolean; state: string; summary: string }>;
  /** The incident's summary and state, or null when there is no such incident. */
  summary(db: Db, incidentId: string): Promise<{ summary: string; state: string } | null>;
}

/**
 * Escalation policies, notification channels, contact details, the pages of an incident, and the acknowledgement
 * link a page carries (public: the signed, expiring, single-use token is the credential).
 */
export function pagingRoutes(d: { setup: PagingSetup; engine: PagingEngine; incidents: IncidentAcker }): AnyRoute[] {
  const { setup, engine } = d;
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/escalation-policies',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'List escalation policies',
      handler: async (ctx): Promise<{ items: Policy[] }> => ({ items: await setup.listPolicies(ctx.db) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/escalation-policies',
      permission: 'oncall.write',
      action: 'oncall.policies.create',
      body: policyInputSchema,
      summary: 'Create an escalation policy: levels of users, schedules or channels, each escalating after a delay',
      async handler(ctx): Promise<Policy> {
        const p = await setup.createPolicy(ctx.db, ctx.body);
        ctx.audit.target(`oncall_policy:${p.id}`);
        ctx.audit.change({ type: 'oncall_policy', id: p.id, before: null, after: { ...p } });
        ctx.status(201);
        return p;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/escalation-policies/apply',
      permission: 'oncall.write',
      action: 'oncall.policies.apply',
      body: applyPolicies,
      summary: 'Create or update escalation policies by name (idempotent, all or nothing)',
      async handler(ctx) {
        const results = await setup.applyPolicies(ctx.db, ctx.body.escalationPolicies);
        for (const r of results)
          if (r.action !== 'unchanged')
            ctx.audit.change({ type: 'oncall_policy', id: r.id, before: null, after: { name: r.name, action: r.action } });
        return { results };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/escalation-policies/export',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'Every escalation policy in the form apply takes back',
      async handler(ctx) {
        const items = await setup.listPolicies(ctx.db);
        return {
          escalationPolicies: items.map(({ id: _id, createdAt: _c, updatedAt: _u, ...p }) => p),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/escalation-policies/:id',
      permission: 'oncall.read',
      params: idParams,
      query: noQuery,
      summary: 'One escalation policy',
      handler: async (ctx): Promise<Policy> => setup.getPolicy(ctx.db, ctx.params.id),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/escalation-policies/:id',
      permission: 'oncall.write',
      action: 'oncall.policies.update',
      params: idParams,
      body: policyInputSchema,
      summary: 'Replace an escalation policy',
      async handler(ctx): Promise<Policy> {
        const r = await setup.updatePolicy(ctx.db, ctx.params.id, ctx.body);
        ctx.audit.target(`oncall_policy:${ctx.params.id}`);
        ctx.audit.change({ type: 'oncall_policy', id: ctx.params.id, before: { ...r.before }, after: { ...r.after } });
        return r.after;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/escalation-policies/:id',
      permission: 'oncall.write',
      action: 'oncall.policies.delete',
      params: idParams,
      summary: 'Delete an escalation policy (escalations in progress stop at their next step)',
      async handler(ctx): Promise<void> {
        const before = await setup.deletePolicy(ctx.db, ctx.params.id);
        ctx.audit.target(`oncall_policy:${ctx.params.id}`);
        ctx.audit.change({ type: 'oncall_policy', id: ctx.params.id, before: { ...before }, after: null });
        ctx.status(204);
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/notification-channels',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'List notification channels (secret fields are never shown)',
      handler: async (ctx): Promise<{ items: NotificationChannel[] }> => ({ items: await setup.listChannels(ctx.db) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/notification-channels',
      permission: 'oncall.channels.write',
      action: 'oncall.channels.create',
      body: channelInputSchema,
      summary: 'Create a notification channel: e-mail (SMTP), webhook (HMAC-signed), Slack, Teams or an SMS gateway',
      async handler(ctx): Promise<NotificationChannel> {
        const c = await setup.createChannel(ctx.db, ctx.body);
        ctx.audit.target(`oncall_channel:${c.id}`);
        ctx.audit.change({ type: 'oncall_channel', id: c.id, before: null, after: { ...c } });
        ctx.status(201);
        return c;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/notification-channels/apply',
      permission: 'oncall.channels.write',
      action: 'oncall.channels.apply',
      body: applyChannels,
      summary: 'Create or update notification channels by name (idempotent; secret fields left out are kept)',
      async handler(ctx) {
        const results = await setup.applyChannels(ctx.db, ctx.body.channels);
        for (const r of results)
          if (r.action !== 'unchanged')
            ctx.audit.change({ type: 'oncall_channel', id: r.id, before: null, after: { name: r.name, action: r.action } });
        return { results };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/notification-channels/export',
      permission: 'oncall.read',
      query: noQuery,
      summary: 'Every notification channel in the form apply takes back, without secret fields',
      async handler(ctx) {
        const items = await setup.listChannels(ctx.db);
        return { channels: items.map((c) => ({ name: c.name, forUsers: c.forUsers, enabled: c.enabled, config: c.config })) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/notification-channels/:id',
      permission: 'oncall.read',
      params: idParams,
      query: noQuery,
      summary: 'One notification channel (secret fields are never shown)',
      handler: async (ctx): Promise<NotificationChannel> => setup.getChannel(ctx.db, ctx.params.id),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/notification-channels/:id',
      permission: 'oncall.channels.write',
      action: 'oncall.channels.update',
      params: idParams,
      body: channelInputSchema,
      summary: 'Replace a notification channel; secret fields left out keep their values',
      async handler(ctx): Promise<NotificationChannel> {
        const r = await setup.updateChannel(ctx.db, ctx.params.id, ctx.body);
        ctx.audit.target(`oncall_channel:${ctx.params.id}`);
        ctx.audit.change({ type: 'oncall_channel', id: ctx.params.id, before: { ...r.before }, after: { ...r.after } });
        return r.after;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/notification-channels/:id',
      permission: 'oncall.channels.write',
      action: 'oncall.channels.delete',
      params: idParams,
      summary: 'Delete a notification channel no policy pages through',
      async handler(ctx): Promise<void> {
        const before = await setup.deleteChannel(ctx.db, ctx.params.id);
        ctx.audit.target(`oncall_channel:${ctx.params.id}`);
        ctx.audit.change({ type: 'oncall_channel', id: ctx.params.id, before: { ...before }, after: null });
        ctx.status(204);
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/contacts/:userId',
      permission: 'oncall.read',
      params: userParams,
      query: noQuery,
      summary: 'How a person is paged: e-mail, phone and the channels to try in order',
      handler: async (ctx): Promise<Contact> => setup.getContact(ctx.db, ctx.params.userId),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/oncall/contacts/:userId',
      permission: 'oncall.write',
      action: 'oncall.contacts.update',
      params: userParams,
      body: contactInputSchema,
      summary: 'Set how a person is paged',
      async handler(ctx): Promise<Contact> {
        const r = await setup.setContact(ctx.db, ctx.params.userId, ctx.body);
        ctx.audit.target(`user:${ctx.params.userId}`);
        ctx.audit.change({ type: 'oncall_contact', id: ctx.params.userId, before: { ...r.before }, after: { ...r.after } });
        return r.after;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/oncall/pages',
      permission: 'oncall.read',
      query: pagesQuery,
      summary: 'The pages of one incident: who, which level, which channel, the receipt or the error',
      async handler(ctx): Promise<{ items: PageView[] }> {
        const rows = await engine.pagesOf(ctx.db, ctx.query.incidentId);
        const names = new Map((await setup.listChannels(ctx.db)).map((c) => [c.id, `${c.kind}:${c.name}`]));
        return {
          items: rows.map((r) => ({
            id: r.id,
            incidentId: r.incident_id,
            level: r.level + 1,
            round: r.round,
            recipient: r.recipient_name,
            state: r.state,
            attempts: r.attempts,
            channel: r.sent_channel ? (names.get(r.sent_channel) ?? r.sent_channel) : null,
            receipt: r.receipt,
            error: r.last_error,
            createdAt: r.created_at,
            sentAt: r.sent_at,
            acknowledgedByLink: r.ack_used_at !== null,
          })),
        };
      },
    }),

    defineRoute({
      method: 'GET',
      url: '/api/v1/ack/:token',
      permission: 'public',
      params: tokenParams,
      query: noQuery,
      summary:
        'The page behind an acknowledgement link: a confirmation form (GET never acknowledges: mail scanners follow links)',
      async handler(ctx) {
        const html = wantsHtml(ctx.req.headers.accept);
        const check = await engine.checkAckToken(ctx.db, ctx.params.token);
        if ('error' in check) return refuse(ctx, html, check.error);
        const inc = await d.incidents.summary(ctx.db, check.page.incident_id);
        ctx.audit.target(`incident:${check.page.incident_id}`);
        if (!html) return { incidentId: check.page.incident_id, summary: inc?.summary ?? null, state: inc?.state ?? null };
        void ctx.reply.type('text/html; charset=utf-8');
        if (!inc || inc.state !== 'triggered')
          return ackPage('Nothing to acknowledge', `The incident is ${inc?.state ?? 'gone'} already.`, null);
        return ackPage('Acknowledge this incident?', inc.summary, ctx.params.token);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/ack/:token',
      permission: 'public',
      action: 'incidents.ack_link',
      params: tokenParams,
      body: z.union([z.string().max(100), z.strictObject({}), z.undefined(), z.null()]),
      summary: 'Acknowledge the incident of a page with its signed, expiring, single-use link',
      async handler(ctx) {
        const html = wantsHtml(ctx.req.headers.accept) || ctx.req.headers['content-type']?.startsWith('text/plain') === true;
        const check = await engine.checkAckToken(ctx.db, ctx.params.token);
        if ('error' in check) return refuse(ctx, html, check.error);
        const page = check.page;
        ctx.audit.target(`incident:${page.incident_id}`);
        if (!(await engine.useAckToken(ctx.db, page.id))) return refuse(ctx, html, 'used');
        const actor: Actor = {
          type: 'system',
          id: page.recipient.startsWith('user:') ? page.recipient : `system:ack-link`,
          name: `${page.recipient_name} (link in a level ${page.level + 1} page)`,
        };
        const r = await d.incidents.ack(ctx.db, page.incident_id, actor);
        ctx.audit.change({ type: 'incident', id: page.incident_id, before: { state: 'triggered' }, after: { state: r.state } });
        if (!html) return { acknowledged: r.ok, incidentId: page.incident_id, state: r.state };
        void ctx.reply.type('text/html; charset=utf-8');
        return r.ok
          ? ackPage('Acknowledged', `${r.summary}. Escalation has stopped; you own this incident now.`, null)
          : ackPage('Nothing to acknowledge', `The incident is ${r.state} already.`, null);
      },
    }),
  ];
}

/** A person's browser (the link in an e-mail or SMS) gets a page; an API client gets problem JSON. */
const wantsHtml = (accept: string | undefined): boolean => /\btext\/html\b/.test(accept ?? '');

function refuse(
  ctx: { status(code: number): void; reply: { type(t: string): unknown } },
  html: boolean,
  e: 'invalid' | 'expired' | 'used',
): string {
  if (!html) {
    if (e === 'invalid') throw notFound('ack_link_invalid', linkError(e));
    throw conflict(e === 'used' ? 'ack_link_used' : 'ack_link_expired', linkError(e));
  }
  void ctx.reply.type('text/html; charset=utf-8');
  ctx.status(e === 'invalid' ? 404 : 410);
  return ackPage('This link cannot be used', linkError(e), null);
}

function linkError(e: 'invalid' | 'expired' | 'used'): string {
  return e === 'expired'
    ? 'The link has expired. Open the incident in the console.'
    : e === 'used'
      ? 'The link has been used already. Open the incident in the console.'
      : 'The link is not valid.';
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A tiny page: no script, no inline style (the CSP forbids both); a form posts back to the same URL. */
function ackPage(title: string, text: string, token: string | null): string {
  const form = token
    ? `<form method="post" action="/api/v1/ack/${encodeURIComponent(token)}" enctype="text/plain"><input type="hidden" name="confirm" value="yes"><button type="submit">Acknowledge</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · Skjold</title></head><body><main><h1>${escape(title)}</h1><p>${escape(text)}</p>${form}</main></body></html>`;
}
