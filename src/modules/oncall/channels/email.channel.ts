import nodemailer from 'nodemailer';
import type { EmailChannelConfig } from './channel.schemas.ts';
import { type Channel, ChannelError, type DeliveryReceipt, type PageMessage } from './channel.types.ts';
import { networkError } from './bounded-http.ts';
import { MAX_SUMMARY, escapeHtml, oneLine, severityLabel } from './page-text.ts';

// RFC 5322 dot-atom characters; anything else in a page id would make the Message-ID unparseable.
const ID_LEFT_UNSAFE = /[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]/g;
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]{1,253}$/;

/** Message-ID of a page, the same for every resend so receivers and mail clients can recognise a duplicate. */
export const pageMessageId = (pageId: string): string => `<${pageId.replace(ID_LEFT_UNSAFE, '_').slice(0, 200)}@skjold>`;

/** Subject, plain text and HTML of a page e-mail. */
export function renderEmail(msg: PageMessage): { subject: string; text: string; html: string } {
  const sev = severityLabel(msg.severity);
  const summary = oneLine(msg.summary, MAX_SUMMARY);
  const subject = `[Skjold] ${sev}: ${oneLine(msg.summary, 150)} (level ${msg.level})`;
  const text = [
    summary,
    '',
    `Severity: ${sev}`,
    `Escalation level: ${msg.level}`,
    `Incident: ${msg.incidentUrl}`,
    '',
    `Acknowledge: ${msg.ackUrl}`,
    '',
    'You are receiving this page because you are on call in Skjold.',
  ].join('\n');
  const e = escapeHtml;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p style="font-size:1.2em"><strong>${e(summary)}</strong></p>`,
    `<p>Severity: <strong>${e(sev)}</strong><br>Escalation level: ${msg.level}</p>`,
    `<p><a href="${e(msg.incidentUrl)}">Open incident</a> &nbsp; <a href="${e(msg.ackUrl)}">Acknowledge</a></p>`,
    '<p style="color:#666;font-size:0.9em">You are receiving this page because you are on call in Skjold.</p>',
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** An SMTP failure as a ChannelError: a 4xx reply retries, a 5xx reply (except 503) falls back at once. */
function smtpError(e: unknown, timeoutMs: number): ChannelError {
  const err = e as {
    code?: string;
    originalCode?: string;
    responseCode?: number;
    permanent?: boolean;
    response?: string;
    message?: string;
  };
  if (err?.code === 'EABORT' || err?.code === 'ETIMEDOUT')
    return new ChannelError('timeout', `SMTP exchange not done within ${timeoutMs} ms`, true);
  if (typeof err?.responseCode === 'number' && err.responseCode >= 400) {
    const code = err.responseCode;
    const permanent = err.permanent ?? code >= 500;
    const reply = oneLine(err.response ?? err.message ?? '', 200);
    if (err.code === 'EAUTH')
      return new ChannelError('smtp_auth_failed', `SMTP login refused: ${reply}`, !permanent, { status: code });
    return new ChannelError('smtp_rejected', `SMTP ${code}: ${reply}`, !permanent, { status: code });
  }
  if (err?.code === 'EAUTH' || err?.code === 'ENOAUTH') return new ChannelError('smtp_auth_failed', `SMTP login failed`, false);
  if (err?.code === 'ETLS' || err?.code === 'EREQUIRETLS')
    return new ChannelError('tls_failed', oneLine(err.message ?? 'TLS failed', 300), false);
  if (err?.code === 'ECONNECTION' || err?.code === 'ESOCKET' || err?.code === 'EDNS') {
    // nodemailer keeps the socket's own code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...) as originalCode.
    const inner = networkError({ code: err.originalCode ?? err.code, message: err.message });
    // A certificate the server presents during STARTTLS or implicit TLS surfaces as a socket error.
    return inner.code === 'tls_failed' ? inner : new ChannelError('connection_failed', inner.message, true);
  }
  return new ChannelError('failed', oneLine(err?.message ?? String(e), 300), true);
}

/** One message for `smtpSender`: the envelope sender comes from the configuration. */
export interface OutgoingMail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
  priority?: 'high' | 'normal' | 'low';
}

/** A bounded SMTP sender for any message (pages here; access review reminders reuse it through the module's index). */
export interface SmtpSender {
  /** Resolves with the server's reply and the Message-ID; rejects only with ChannelError (SMTP 4xx retryable, 5xx not). */
  send(mail: OutgoingMail): Promise<DeliveryReceipt>;
  close(): void;
}

/**
 * SMTP under hard bounds. One connection per message (no pool: messages are rare and a pooled connection may be
 * stale), bounded by `timeoutMs` for connect, TLS, login and the whole exchange. Nothing of the exchange is logged.
 */
export function smtpSender(config: EmailChannelConfig, ctx: { timeoutMs: number }): SmtpSender {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    requireTLS: config.requireTLS,
    ...(config.auth ? { auth: { user: config.auth.user, pass: config.auth.password } } : {}),
    tls: {
      rejectUnauthorized: config.tlsRejectUnauthorized,
      minVersion: 'TLSv1.2',
      ...(config.ca ? { ca: config.ca } : {}),
    },
    connectionTimeout: ctx.timeoutMs,
    greetingTimeout: ctx.timeoutMs,
    socketTimeout: ctx.timeoutMs,
    dnsTimeout: ctx.timeoutMs,
    socketCloseTimeout: 0,
    // Nothing of the exchange is logged: it carries the login.
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(mail: OutgoingMail): Promise<DeliveryReceipt> {
      const signal = AbortSignal.timeout(ctx.timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      // The signal closes nodemailer's connection; the race is the backstop should a step ignore it.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('deadline')), ctx.timeoutMs + 250);
      });
      try {
        const info = await Promise.race([
          transport.sendMail({
            from: config.from,
            to: mail.to,
            subject: mail.subject,
            text: mail.text,
            html: mail.html,
            messageId: mail.messageId,
            headers: mail.headers,
            priority: mail.priority ?? 'normal',
            signal,
          }),
          deadline,
        ]);
        return { receipt: `${oneLine(info.response, 200)} ${info.messageId}` };
      } catch (e) {
        if (e instanceof Error && e.message === 'deadline') throw smtpError({ code: 'EABORT' }, ctx.timeoutMs);
        throw smtpError(e, ctx.timeoutMs);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      transport.close();
    },
  };
}

/** True for an address the SMTP envelope can carry (no display name, no comments). */
export const isEmailAddress = (to: string): boolean => EMAIL.test(to) && to.length <= 254;

/** E-mail over SMTP: a page rendered by `renderEmail`, sent by `smtpSender`. */
export function emailChannel(config: EmailChannelConfig, ctx: { timeoutMs: number }): Channel {
  const smtp = smtpSender(config, ctx);
  return {
    kind: 'email',
    async send(msg: PageMessage): Promise<DeliveryReceipt> {
      const to = msg.recipient.email;
      if (!to) throw new ChannelError('recipient_missing', `${msg.recipient.name} has no e-mail address`, false);
      if (!isEmailAddress(to)) throw new ChannelError('recipient_invalid', 'the e-mail address is not valid', false);
      const { subject, text, html } = renderEmail(msg);
      return smtp.send({
        to: { name: oneLine(msg.recipient.name, 100), address: to },
        subject,
        text,
        html,
        messageId: pageMessageId(msg.id),
        headers: { 'X-Skjold-Delivery': msg.id, 'Auto-Submitted': 'auto-generated' },
        priority: msg.severity === 'critical' ? 'high' : 'normal',
      });
    },
    close() {
      smtp.close();
      return Promise.resolve();
    },
  };
}
