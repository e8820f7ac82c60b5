import { boundedRequest, receiptOf } from './bounded-http.ts';
import {
  E164,
  type SlackChannelConfig,
  type SmsChannelConfig,
  type TeamsChannelConfig,
  type WebhookChannelConfig,
} from './channel.schemas.ts';
import { type Channel, ChannelError, type PageMessage } from './channel.types.ts';
import { MAX_SUMMARY, oneLine, severityLabel, smsText } from './page-text.ts';
import { signWebhook } from './webhook-signature.ts';

interface HttpContext {
  timeoutMs: number;
  now: () => Date;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The JSON body of a webhook page. */
export function webhookBody(msg: PageMessage, sentAt: Date): string {
  return JSON.stringify({
    type: 'page',
    id: msg.id,
    incident: { id: msg.incidentId, summary: msg.summary, severity: msg.severity, url: msg.incidentUrl },
    level: msg.level,
    recipient: msg.recipient,
    ackUrl: msg.ackUrl,
    sentAt: sentAt.toISOString(),
  });
}

/** Generic webhook: signed JSON POST; X-Skjold-Delivery (the page id) lets the receiver drop a resend. */
export function webhookChannel(config: WebhookChannelConfig, ctx: HttpContext): Channel {
  return {
    kind: 'webhook',
    async send(msg) {
      const now = ctx.now();
      const body = webhookBody(msg, now);
      const answer = await boundedRequest({
        url: config.url,
        method: 'POST',
        headers: {
          'content-type': JSON_TYPE,
          'x-skjold-signature': signWebhook(config.secret, body, Math.floor(now.getTime() / 1000)),
          'x-skjold-delivery': msg.id,
        },
        body,
        ca: config.ca,
        timeoutMs: ctx.timeoutMs,
      });
      return receiptOf(answer, ctx.now());
    },
  };
}

/** Slack mrkdwn: only &, < and > are control characters (they make links and mentions). */
const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack incoming-webhook message: a text fallback (notifications, old clients) and blocks with two link buttons. */
export function slackPayload(msg: PageMessage): unknown {
  const summary = slackEscape(oneLine(msg.summary, MAX_SUMMARY));
  const sev = severityLabel(msg.severity);
  return {
    text: `[${sev}] ${summary} (level ${msg.level}). Acknowledge: ${slackEscape(msg.ackUrl)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${summary}*\nSeverity: *${sev}* · Escalation level ${msg.level}` } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: 'open_incident',
            text: { type: 'plain_text', text: 'Open incident' },
            url: msg.incidentUrl,
          },
          {
            type: 'button',
            action_id: 'acknowledge',
            style: 'primary',
            text: { type: 'plain_text', text: 'Acknowledge' },
            url: msg.ackUrl,
          },
        ],
      },
    ],
  };
}

// Teams renders a markdown subset in TextBlocks; escape what would make links or emphasis out of a summary.
const teamsEscape = (text: string): string => text.replace(/[\\`*_[\]<>#~]/g, (c) => `\\${c}`);

/** Teams Workflows message with one Adaptive Card 1.4: summary, facts, and buttons to the incident and to acknowledge. */
export function teamsPayload(msg: PageMessage): unknown {
  const sev = severityLabel(msg.severity);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: `${sev}: ${teamsEscape(oneLine(msg.summary, MAX_SUMMARY))}`,
              weight: 'Bolder',
              size: 'Medium',
              color: msg.severity === 'critical' || msg.severity === 'major' ? 'Attention' : 'Default',
              wrap: true,
            },
            {
              type: 'FactSet',
              facts: [
                { title: 'Severity', value: sev },
                { title: 'Escalation level', value: String(msg.level) },
                { title: 'Incident', value: teamsEscape(oneLine(msg.incidentId, 100)) },
              ],
            },
          ],
          actions: [
            { type: 'Action.OpenUrl', title: 'Open incident', url: msg.incidentUrl },
            { type: 'Action.OpenUrl', title: 'Acknowledge', url: msg.ackUrl },
          ],
        },
      },
    ],
  };
}

/** A channel that POSTs one JSON document built from the page (Slack, Teams). */
function jsonPostChannel(
  kind: 'slack' | 'teams',
  config: SlackChannelConfig | TeamsChannelConfig,
  build: (msg: PageMessage) => unknown,
  ctx: HttpContext,
): Channel {
  return {
    kind,
    async send(msg) {
      const answer = await boundedRequest({
        url: config.url,
        method: 'POST',
        headers: { 'content-type': JSON_TYPE },
        body: JSON.stringify(build(msg)),
        ca: config.ca,
        timeoutMs: ctx.timeoutMs,
      });
      return receiptOf(answer, ctx.now());
    },
  };
}

export const slackChannel = (config: SlackChannelConfig, ctx: HttpContext): Channel =>
  jsonPostChannel('slack', config, slackPayload, ctx);

export const teamsChannel = (config: TeamsChannelConfig, ctx: HttpContext): Channel =>
  jsonPostChannel('teams', config, teamsPayload, ctx);

/** Fills {to}, {message} and {from} in one pass (a value that contains a placeholder is not expanded again). */
function fill(template: string, vars: Record<'to' | 'message' | 'from', string>): string {
  return template.replace(/\{(to|message|from)\}/g, (_, name: 'to' | 'message' | 'from') => vars[name]);
}

/** The request fields of one SMS: the template filled in, then the credentials. */
export function smsFields(config: SmsChannelConfig, vars: Record<'to' | 'message' | 'from', string>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.body))
    fields[key] = typeof value === 'string' ? fill(value, vars) : Array.isArray(value) ? value.map((v) => fill(v, vars)) : value;
  return { ...fields, ...config.credentials };
}

function formEncode(fields: Record<string, unknown>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) params.append(key, String(v));
  return params;
}

/** SMS through an HTTP gateway, to an E.164 number; the text fits one 160-character message and keeps the ack URL whole. */
export function smsChannel(config: SmsChannelConfig, ctx: HttpContext): Channel {
  return {
    kind: 'sms',
    async send(msg) {
      const to = msg.recipient.phone;
      if (!to) throw new ChannelError('recipient_missing', `${msg.recipient.name} has no phone number`, false);
      if (!E164.test(to))
        throw new ChannelError('recipient_invalid', 'the phone number is not in E.164 form (+4512345678)', false);
      const message = smsText(msg);
      if (message === null) throw new ChannelError('message_too_long', 'the ack URL alone is longer than one SMS', false);
      const fields = smsFields(config, { to, message, from: config.from ?? '' });
      const headers: Record<string, string> = { ...config.headers, 'x-skjold-delivery': msg.id };
      let url = config.url;
      let body: string | undefined;
      if (config.method === 'GET') {
        const u = new URL(config.url);
        for (const [k, v] of formEncode(fields)) u.searchParams.append(k, v);
        url = u.toString();
      } else if (config.format === 'form') {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = formEncode(fields).toString();
      } else {
        headers['content-type'] = JSON_TYPE;
        body = JSON.stringify(fields);
      }
      const answer = await boundedRequest({ url, method: config.method, headers, body, ca: config.ca, timeoutMs: ctx.timeoutMs });
      return receiptOf(answer, ctx.now());
    },
  };
}
