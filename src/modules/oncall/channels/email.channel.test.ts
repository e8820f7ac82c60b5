import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpReceiver, startSmtpReceiver } from '../../../../test/receivers.ts';
import { ChannelError, channelConfigSchema, createChannel, type ChannelConfigInput } from './channels.ts';
import { testPage, thrown } from './channel.test-fixtures.ts';

const email = (smtp: SmtpReceiver, over: Partial<ChannelConfigInput & { kind: 'email' }> = {}, timeoutMs = 3_000) =>
  createChannel(
    channelConfigSchema.parse({ kind: 'email', host: smtp.host, port: smtp.port, from: 'skjold@ops.example.dk', ...over }),
    { timeoutMs },
  );

describe('email channel', () => {
  let plain: SmtpReceiver;
  let starttls: SmtpReceiver;
  let implicit: SmtpReceiver;

  beforeAll(async () => {
    [plain, starttls, implicit] = await Promise.all([
      startSmtpReceiver(),
      startSmtpReceiver({ tls: 'starttls', auth: { user: 'skjold', password: 'hunter2-smtp' } }),
      startSmtpReceiver({ tls: 'implicit' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain.close(), starttls.close(), implicit.close()]);
  });

  it('delivers a page with a stable Message-ID, the links and an escaped HTML part', async () => {
    const page = testPage();
    const ch = email(plain);
    const { receipt } = await ch.send(page);
    expect(receipt).toBe(`250 Queued <${page.id}@skjold>`);
    const [mail] = await plain.waitFor(1);
    expect(mail?.from).toBe('skjold@ops.example.dk');
    expect(mail?.to).toEqual(['ada@example.dk']);
    expect(mail?.messageId).toBe(`<${page.id}@skjold>`);
    expect(mail?.headers.get('x-skjold-delivery')).toBe(page.id);
    expect(mail?.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail?.subject).toBe('[Skjold] CRITICAL: Disk full on db1 <script>alert(1)</script> & more (level 2)');
    expect(mail?.text).toContain('Severity: CRITICAL');
    expect(mail?.text).toContain(`Incident: ${page.incidentUrl}`);
    expect(mail?.text).toContain(`Acknowledge: ${page.ackUrl}`);
    expect(mail?.html).toContain('Disk full on db1 &#60;script&#62;alert(1)&#60;/script&#62; &#38; more');
    expect(mail?.html).not.toContain('<script>');
    expect(mail?.html).toContain(`<a href="${page.ackUrl}">Acknowledge</a>`);

    // A resend of the same outbox row carries the same Message-ID, so the receiver can tell.
    await ch.send(page);
    expect((await plain.waitFor(2))[1]?.messageId).toBe(`<${page.id}@skjold>`);
    await ch.close?.();
  });

  it('logs in over STARTTLS when requireTLS is set, trusting the configured CA', async () => {
    const ch = email(starttls, { requireTLS: true, ca: starttls.ca, auth: { user: 'skjold', password: 'hunter2-smtp' } });
    await ch.send(testPage());
    expect(await starttls.waitFor(1)).toHaveLength(1);
  });

  it('speaks implicit TLS when secure is set', async () => {
    await email(implicit, { secure: true, ca: implicit.ca }).send(testPage());
    expect(await implicit.waitFor(1)).toHaveLength(1);
  });

  it('refuses an untrusted certificate and a wrong password without retrying, and never shows the password', async () => {
    const untrusted = await thrown(() => email(implicit, { secure: true }).send(testPage()));
    expect(untrusted).toMatchObject({ code: 'tls_failed', retryable: false });
    const login = await thrown(() =>
      email(starttls, { requireTLS: true, ca: starttls.ca, auth: { user: 'skjold', password: 'wrong-password' } }).send(
        testPage(),
      ),
    );
    expect(login).toBeInstanceOf(ChannelError);
    expect(login).toMatchObject({ code: 'smtp_auth_failed', retryable: false, status: 535 });
    expect((login as Error).message).not.toContain('wrong-password');
  });

  it('retries after an SMTP 4xx and falls back after a 5xx', async () => {
    plain.rejectNext(451);
    expect(await thrown(() => email(plain).send(testPage()))).toMatchObject({
      code: 'smtp_rejected',
      status: 451,
      retryable: true,
    });
    plain.rejectNext(550, 'Mailbox unavailable');
    const e = await thrown(() => email(plain).send(testPage()));
    expect(e).toMatchObject({ code: 'smtp_rejected', status: 550, retryable: false });
    expect((e as Error).message).toMatch(/^SMTP 550: .*Mailbox unavailable/);
  });

  it('refuses a recipient without an address', async () => {
    const e = await thrown(() => email(plain).send(testPage({ recipient: { name: 'Bo', phone: '+4512345678' } })));
    expect(e).toMatchObject({ code: 'recipient_missing', retryable: false });
    expect(await thrown(() => email(plain).send(testPage({ recipient: { name: 'Bo', email: 'not an address' } })))).toMatchObject(
      {
        code: 'recipient_invalid',
      },
    );
  });

  it('gives up within the timeout when the server never acknowledges the data', async () => {
    const smtp = await startSmtpReceiver();
    try {
      smtp.hold();
      const started = performance.now();
      const e = await thrown(() => email(smtp, {}, 300).send(testPage()));
      expect(e).toMatchObject({ code: 'timeout', retryable: true });
      expect(performance.now() - started).toBeLessThan(1_000);
      await smtp.waitForHeld(1);
      // The sender hung up before the 250: the late acknowledgement is dropped, as a real server would.
      await new Promise((r) => setTimeout(r, 50));
      smtp.release();
      expect(smtp.messages).toHaveLength(0);
      expect(smtp.dropped).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });

  it('reports a refused connection as retryable', async () => {
    const smtp = await startSmtpReceiver();
    await smtp.close();
    expect(await thrown(() => email(smtp).send(testPage()))).toMatchObject({ code: 'connection_failed', retryable: true });
  });
});
