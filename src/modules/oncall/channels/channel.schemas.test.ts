import { describe, expect, it } from 'vitest';
import { channelConfigSchema, phoneNumberSchema, SECRET_FIELDS, CHANNEL_KINDS } from './channels.ts';

/** The issues of a failed parse as `path: message` pairs, paths dotted. */
function issues(input: unknown): { path: string; message: string }[] {
  const r = channelConfigSchema.safeParse(input);
  expect(r.success).toBe(false);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}
const paths = (input: unknown): string[] => issues(input).map((i) => i.path);

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('channel configuration schemas', () => {
  it('accepts a minimal config of every kind and fills the defaults', () => {
    expect(channelConfigSchema.parse({ kind: 'email', host: 'smtp.example.dk', from: 'skjold@example.dk' })).toEqual({
      kind: 'email',
      host: 'smtp.example.dk',
      port: 587,
      secure: false,
      requireTLS: false,
      from: 'skjold@example.dk',
      tlsRejectUnauthorized: true,
    });
    expect(
      channelConfigSchema.parse({ kind: 'webhook', url: 'https://hooks.example.dk/x', secret: 'a'.repeat(32) }),
    ).toMatchObject({
      kind: 'webhook',
    });
    expect(channelConfigSchema.parse({ kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X' }).kind).toBe('slack');
    expect(channelConfigSchema.parse({ kind: 'teams', url: 'https://example.webhook.office.com/x', ca: CA }).kind).toBe('teams');
    expect(
      channelConfigSchema.parse({ kind: 'sms', url: 'https://sms.example.dk/send', body: { to: '{to}', text: '{message}' } }),
    ).toEqual({
      kind: 'sms',
      url: 'https://sms.example.dk/send',
      method: 'POST',
      format: 'json',
      body: { to: '{to}', text: '{message}' },
      credentials: {},
      headers: {},
    });
  });

  it('allows http only to loopback hosts', () => {
    for (const url of ['http://127.0.0.1:8080/hook', 'http://[::1]:8080/hook', 'http://localhost/hook'])
      expect(channelConfigSchema.safeParse({ kind: 'slack', url }).success).toBe(true);
    expect(issues({ kind: 'slack', url: 'http://hooks.slack.com/services/x' })).toEqual([
      { path: 'url', message: 'http is only allowed to 127.0.0.1, ::1 or localhost; use https' },
    ]);
    expect(paths({ kind: 'webhook', url: 'http://10.0.0.5/x', secret: 'a'.repeat(16) })).toEqual(['url']);
    expect(paths({ kind: 'teams', url: 'ftp://example.dk/x' })).toEqual(['url']);
    expect(paths({ kind: 'teams', url: 'not a url' })).toEqual(['url']);
    expect(paths({ kind: 'sms', url: 'https://user:pw@sms.example.dk/', body: { a: '{to} {message}' } })).toEqual(['url']);
    expect(paths({ kind: 'slack', url: `https://example.dk/${'x'.repeat(2100)}` })).toEqual(['url']);
  });

  it('reports missing and unknown fields with their paths', () => {
    expect(paths({ kind: 'email', from: 'skjold@example.dk' })).toEqual(['host']);
    expect(paths({ kind: 'webhook', url: 'https://example.dk/x' })).toEqual(['secret']);
    expect(paths({ kind: 'webhook', url: 'https://example.dk/x', secret: 'short' })).toEqual(['secret']);
    expect(paths({ kind: 'slack', url: 'https://example.dk/x', channel: '#ops' })).toEqual(['']);
    expect(issues({ kind: 'slack', url: 'https://example.dk/x', channel: '#ops' })[0]?.message).toMatch(/channel/);
    expect(paths({ kind: 'pager', url: 'https://example.dk/x' })).toEqual(['kind']);
    expect(paths({ kind: 'email', host: 'smtp.example.dk', from: 'not-an-address' })).toEqual(['from']);
    expect(paths({ kind: 'email', host: 'smtp.example.dk', from: 'a@example.dk', auth: { user: 'u' } })).toEqual([
      'auth.password',
    ]);
    expect(paths({ kind: 'teams', url: 'https://example.dk/x', ca: 'not a pem' })).toEqual(['ca']);
  });

  it('refuses to send an SMTP password without TLS, except to loopback', () => {
    const base = { kind: 'email', from: 'a@example.dk', auth: { user: 'u', password: 'p' } };
    expect(paths({ ...base, host: 'smtp.example.dk' })).toEqual(['auth']);
    expect(channelConfigSchema.safeParse({ ...base, host: 'smtp.example.dk', requireTLS: true }).success).toBe(true);
    expect(channelConfigSchema.safeParse({ ...base, host: 'smtp.example.dk', port: 465, secure: true }).success).toBe(true);
    expect(channelConfigSchema.safeParse({ ...base, host: '127.0.0.1' }).success).toBe(true);
    expect(paths({ ...base, host: 'smtp.example.dk', secure: true, requireTLS: true })).toEqual(['requireTLS']);
  });

  it('checks the SMS template, sender and headers', () => {
    const base = { kind: 'sms', url: 'https://sms.example.dk/send' };
    expect(issues({ ...base, body: { to: '{to}' } })).toEqual([{ path: 'body', message: 'the template must contain {message}' }]);
    expect(paths({ ...base, body: { to: '{to}', text: '{message}' }, from: '+0451234' })).toEqual(['from']);
    expect(paths({ ...base, body: { to: '{to}', text: '{message}' }, from: 'Skjold Alerts Team' })).toEqual(['from']);
    expect(channelConfigSchema.safeParse({ ...base, body: { to: '{to}', text: '{message}' }, from: '+4570203040' }).success).toBe(
      true,
    );
    expect(paths({ ...base, body: { to: '{to}', text: '{message}' }, headers: { 'Content-Length': '1' } })).toEqual([
      'headers.Content-Length',
    ]);
    expect(paths({ ...base, body: { to: '{to}', text: '{message}' }, headers: { Authorization: 'a\r\nX-Evil: 1' } })).toEqual([
      'headers.Authorization',
    ]);
    expect(paths({ ...base, body: { to: '{to}', text: '{message}' }, credentials: { to: 'x' } })).toEqual(['credentials.to']);
    expect(paths({ ...base, method: 'DELETE', body: { to: '{to}', text: '{message}' } })).toEqual(['method']);
  });

  it('validates phone numbers as E.164', () => {
    for (const ok of ['+4512345678', '+14155552671', '+447911123456']) expect(phoneNumberSchema.safeParse(ok).success).toBe(true);
    for (const bad of ['4512345678', '+045123456', '+45 12 34 56 78', '+123456', '+1234567890123456', '+45abc5678'])
      expect(phoneNumberSchema.safeParse(bad).success).toBe(false);
  });

  it('names the secret fields of every kind', () => {
    expect(Object.keys(SECRET_FIELDS).sort()).toEqual([...CHANNEL_KINDS].sort());
    expect(SECRET_FIELDS).toEqual({
      email: ['auth.password'],
      webhook: ['secret'],
      slack: ['url'],
      teams: ['url'],
      sms: ['headers', 'credentials'],
    });
  });
});
