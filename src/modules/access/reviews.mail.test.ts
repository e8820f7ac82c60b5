import { addGrant } from './accounts.test-data.ts';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSkjoldConfig } from '../../app.ts';
import { ConfigError } from '../../core/config.ts';
import { openDatabase } from '../../core/db/database.ts';
import { migrate } from '../../core/db/migrate.ts';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS, freshDatabase } from '../../../test/databases.ts';
import { createUserWithToken } from '../../../test/identity.ts';
import { type SmtpReceiver, startSmtpReceiver } from '../../../test/receivers.ts';
import { m0004Reviews } from './migrations/0004-reviews.ts';
import { m0005ReviewMail } from './migrations/0005-review-mail.ts';
import { type MailDeliveryView, NO_TRANSPORT } from './reviews.mail.ts';
import type { CampaignView } from './reviews.service.ts';

const DAY = 86_400_000;
const START = '2026-03-02T08:00:00.000Z';
const PUBLIC_URL = 'https://skjold.example.dk';

type ReminderItem = { id: string; kind: string; toName: string; entries: number; sentAt: string; delivery: MailDeliveryView };

/**
 * Review reminders and escalations reach the person by e-mail (issue 6 item 6): the mail is queued in the reminder's
 * transaction and sent over real SMTP (an in-process server) with retries; where it stands shows in the API.
 */
describe.each(DIALECTS)('access review reminder e-mail ($dialect)', ({ dialect, skip }) => {
  let t: TestApp | undefined;
  let smtp: SmtpReceiver;
  let admin: { authorization: string };

  beforeEach(async () => {
    if (skip) return;
    smtp = await startSmtpReceiver();
  });
  afterEach(async () => {
    if (skip) return;
    await t?.dispose();
    t = undefined;
    await smtp.close();
  });

  async function app(mail = true) {
    t = await createTestApp(dialect, {
      manualClock: true,
      env: {
        SKJOLD_ONCALL_PUBLIC_URL: PUBLIC_URL,
        SKJOLD_TIME_ZONE: 'Europe/Copenhagen',
        ...(mail
          ? { SKJOLD_ACCESS_SMTP_URL: `smtp://${smtp.host}:${smtp.port}`, SKJOLD_ACCESS_MAIL_FROM: 'skjold@ops.example.dk' }
          : {}),
      },
    });
    t.manualClock!.set(START);
    admin = (await createUserWithToken(t, 'admin')).headers;
    return t;
  }
  const db = () => t!.database.db;
  const now = () => t!.clock.now().toISOString();
  const api = async <T>(method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await t!.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: JSON.parse(res.body) as T };
  };

  async function person(name: string, manager: string | null, email: string | null = `${name.toLowerCase()}@example.dk`) {
    const id = randomUUID();
    await db()
      .insertInto('access_people')
      .values({
        id,
        name,
        email,
        kind: 'employee',
        team: '',
        manager_id: manager,
        status: 'active',
        left_at: null,
        user_id: null,
        identifiers: JSON.stringify([name.toLowerCase()]),
        created_at: now(),
        updated_at: now(),
      })
      .execute();
    return id;
  }

  const grant = (personId: string, systemId: string) =>
    addGrant(db(), personId, systemId, { level: 'read', startsAt: now(), at: now() });

  /** Boss manages Owen, who owns db1 and so reviews Alice's and Bob's grants on it; a campaign due in 30 days. */
  async function world(opts: { owenEmail?: string | null } = {}) {
    const boss = await person('Boss', null);
    const owen = await person('Owen', boss, opts.owenEmail === undefined ? 'owen@example.dk' : opts.owenEmail);
    const alice = await person('Alice', owen);
    const bob = await person('Bob', owen);
    const db1 = randomUUID();
    await db()
      .insertInto('access_systems')
      .values({
        id: db1,
        name: 'db1',
        kind: 'database',
        classification: 'customer',
        owner_id: owen,
        description: '',
        levels: JSON.stringify([{ name: 'read', privileged: false }]),
        created_at: now(),
        updated_at: now(),
      })
      .execute();
    await grant(alice, db1);
    await grant(bob, db1);
    const policy = await api<{ id: string }>('POST', '/api/v1/access/review-policies', {
      name: 'Q1 <db1> & co',
      intervalMonths: 6,
      dueDays: 30,
      remindDays: 7,
    });
    expect(policy.status).toBe(201);
    const campaign = await api<CampaignView>('POST', `/api/v1/access/review-policies/${policy.body.id}/start`, {});
    expect(campaign.status).toBe(201);
    return { boss, owen, alice, bob, campaign: campaign.body };
  }

  const reminders = async (campaignId: string) =>
    (await api<{ items: ReminderItem[] }>('GET', `/api/v1/access/campaigns/${campaignId}/reminders`)).body.items;
  const auditOf = async (action: string) => {
    await t!.audit.sink.flush();
    const rows = await db().selectFrom('audit_entries').select(['entry', 'target']).where('action', '=', action).execute();
    return rows.map((r) => ({ target: r.target, ...(JSON.parse(r.entry) as { changes: { after: Record<string, unknown> }[] }) }));
  };

  it.skipIf(skip)('e-mails the reviewer once before the due date and the manager once after it', async () => {
    await app();
    const w = await world();
    const clock = t!.manualClock!;
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(0);

    // Seven days before the due date: one reminder to Owen, by e-mail.
    clock.advance(23 * DAY);
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.from).toBe('skjold@ops.example.dk');
    expect(mail.to).toEqual(['owen@example.dk']);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.subject).toBe(
      '[Skjold] Access review Q1 <db1> & co 2026-03-02: 2 entries await your decision by 2026-04-01 10:00 (Europe/Copenhagen)',
    );
    expect(mail.text).toContain('Hello Owen,');
    expect(mail.text).toContain('2 entries in the access review "Q1 <db1> & co 2026-03-02" await your decision.');
    expect(mail.text).toContain('The review is due 2026-04-01 10:00 (Europe/Copenhagen).');
    expect(mail.text).toContain(`Your work list: ${PUBLIC_URL}/access/my-reviews`);
    expect(mail.html).toContain(`<a href="${PUBLIC_URL}/access/my-reviews">Open your work list</a>`);
    expect(mail.html).toContain('Q1 &#60;db1&#62; &#38; co 2026-03-02');
    expect(mail.html).not.toContain('<db1>');

    const [r] = await reminders(w.campaign.id);
    expect(r).toMatchObject({ kind: 'reminder', toName: 'Owen', entries: 2, sentAt: now() });
    expect(r!.delivery).toEqual({
      state: 'sent',
      to: 'owen@example.dk',
      attempts: 1,
      sentAt: now(),
      lastAttemptAt: now(),
      nextAttemptAt: null,
      error: null,
    });
    const row = await db()
      .selectFrom('access_review_mail')
      .selectAll()
      .where('reminder_id', '=', r!.id)
      .executeTakeFirstOrThrow();
    expect(mail.messageId).toBe(`<${row.id}@skjold>`);
    expect(row.receipt).toBe(`250 Queued <${row.id}@skjold>`);
    // The reminder is audited as before, now with where its e-mail stood when written.
    const remind = await auditOf('access.campaign.remind');
    expect(remind).toHaveLength(1);
    expect(remind[0]!.target).toBe(`access_campaign:${w.campaign.id}`);
    expect(remind[0]!.changes.map((c) => c.after)).toEqual([
      { kind: 'reminder', toPersonId: w.owen, entries: 2, mail: 'pending' },
    ]);

    // The next sweeps neither remind nor e-mail again.
    clock.advance(DAY);
    await t!.access.reviews.sweep();
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(1);
    expect(await reminders(w.campaign.id)).toHaveLength(1);

    // Past the due date: escalated to Owen's manager, by e-mail, once.
    clock.advance(7 * DAY);
    await t!.access.reviews.sweep();
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(2);
    const esc = smtp.messages[1]!;
    expect(esc.to).toEqual(['boss@example.dk']);
    expect(esc.subject).toBe('[Skjold] Overdue access review Q1 <db1> & co 2026-03-02: 2 entries of Owen escalated to you');
    expect(esc.text).toContain(
      'The access review "Q1 <db1> & co 2026-03-02" was due 2026-04-01 10:00 (Europe/Copenhagen). 2 entries assigned to Owen are still undecided and now escalated to you, as Owen\'s manager.',
    );
    expect(esc.text).toContain(`Your work list: ${PUBLIC_URL}/access/my-reviews`);
    const all = await reminders(w.campaign.id);
    expect(all.map((x) => `${x.kind}:${x.toName}:${x.entries}:${x.delivery.state}:${x.delivery.to}`)).toEqual([
      'reminder:Owen:2:sent:owen@example.dk',
      'escalation:Boss:2:sent:boss@example.dk',
    ]);
    const overdue = await auditOf('access.campaign.overdue');
    expect(overdue).toHaveLength(1);
    expect(overdue[0]!.changes.map((c) => c.after).filter((a) => a['kind'] === 'escalation')).toEqual([
      { kind: 'escalation', toPersonId: w.boss, aboutPersonId: w.owen, entries: 2, mail: 'pending' },
    ]);
  });

  it.skipIf(skip)('retries after an SMTP 4xx with backoff, then delivers once', async () => {
    await app();
    const w = await world();
    smtp.rejectNext(451, 'Greylisted, try again later');
    t!.manualClock!.advance(23 * DAY);
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(0);
    const queuedAt = now();
    let [r] = await reminders(w.campaign.id);
    expect(r!.delivery).toMatchObject({
      state: 'pending',
      attempts: 1,
      sentAt: null,
      nextAttemptAt: new Date(Date.parse(queuedAt) + 60_000).toISOString(),
    });
    expect(r!.delivery.error).toMatch(/^SMTP 451: .*Greylisted, try again later/);

    // Not before the backoff has passed.
    t!.manualClock!.advance(30_000);
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(0);
    t!.manualClock!.advance(30_000);
    await t!.access.reviews.sweep();
    expect(smtp.messages.map((m) => m.to)).toEqual([['owen@example.dk']]);
    [r] = await reminders(w.campaign.id);
    expect(r!.delivery).toMatchObject({ state: 'sent', attempts: 2, sentAt: now(), error: null });
    await t!.access.reviews.sweep();
    expect(smtp.messages).toHaveLength(1);
  });

  it.skipIf(skip)(
    'records an SMTP 5xx as failed with the reply and does not retry it; gives up on 4xx after the attempts',
    async () => {
      await app();
      const w = await world();
      smtp.rejectNext(550, 'Mailbox unavailable');
      t!.manualClock!.advance(23 * DAY);
      await t!.access.reviews.sweep();
      const [r] = await reminders(w.campaign.id);
      expect(r!.delivery).toMatchObject({ state: 'failed', attempts: 1, sentAt: null, nextAttemptAt: null });
      expect(r!.delivery.error).toMatch(/^SMTP 550: .*Mailbox unavailable/);
      t!.manualClock!.advance(DAY);
      await t!.access.reviews.sweep();
      expect(smtp.messages).toHaveLength(0);

      // Escalation: the server answers 4xx every time; after the 5 attempts (1, 4, 16, 64 minutes apart) it is failed.
      t!.manualClock!.advance(7 * DAY);
      for (let i = 0; i < 5; i++) smtp.rejectNext(452, 'Service busy');
      await t!.access.reviews.sweep();
      for (const wait of [1, 4, 16, 64]) {
        t!.manualClock!.advance(wait * 60_000);
        await t!.access.reviews.sweep();
      }
      const esc = (await reminders(w.campaign.id)).find((x) => x.kind === 'escalation')!;
      expect(esc.delivery).toMatchObject({ state: 'failed', attempts: 5, to: 'boss@example.dk' });
      expect(esc.delivery.error).toMatch(/^gave up after 5 attempts: SMTP 452: .*Service busy/);
      t!.manualClock!.advance(DAY);
      await t!.access.reviews.sweep();
      expect(smtp.messages).toHaveLength(0);
    },
  );

  it.skipIf(skip)('keeps mail pending when the server cannot be reached, and stops that round at the first refusal', async () => {
    await app();
    const w = await world();
    // Boss also reviews Owen's grant on a system Boss owns: two reviewers are reminded in the same sweep.
    const db2 = randomUUID();
    await db()
      .insertInto('access_systems')
      .values({
        id: db2,
        name: 'db2',
        kind: 'database',
        classification: 'customer',
        owner_id: w.boss,
        description: '',
        levels: JSON.stringify([{ name: 'read', privileged: false }]),
        created_at: now(),
        updated_at: now(),
      })
      .execute();
    await grant(w.owen, db2);
    const p2 = await api<{ id: string }>('POST', '/api/v1/access/review-policies', {
      name: 'db2 review',
      systemIds: [db2],
      dueDays: 30,
      remindDays: 7,
    });
    expect((await api('POST', `/api/v1/access/review-policies/${p2.body.id}/start`, {})).status).toBe(201);
    // The configured server goes away.
    const dead = smtp;
    smtp = await startSmtpReceiver();
    await dead.close();
    t!.manualClock!.advance(23 * DAY);
    const round = (await t!.access.reviews.sweep()) as { reminded: number; mail: { retrying: number } };
    expect(round).toMatchObject({ reminded: 2, mail: { retrying: 1 } });
    const rows = await db().selectFrom('access_review_mail').selectAll().orderBy('attempts', 'desc').execute();
    expect(rows.map((r) => `${r.state}:${r.attempts}`)).toEqual(['pending:1', 'pending:0']);
    expect(rows[0]!.last_error).toMatch(/ECONNREFUSED/);
    expect(rows[1]!.last_error).toBeNull();
  });

  it.skipIf(skip)('without mail configured, records the reminder and says it was not sent', async () => {
    await app(false);
    const w = await world();
    t!.manualClock!.advance(23 * DAY);
    await t!.access.reviews.sweep();
    const [r] = await reminders(w.campaign.id);
    expect(r).toMatchObject({ kind: 'reminder', toName: 'Owen', entries: 2 });
    expect(r!.delivery).toMatchObject({ state: 'not_sent', to: 'owen@example.dk', attempts: 0, error: NO_TRANSPORT });
    expect(NO_TRANSPORT).toMatch(/^not sent: no mail transport configured/);
    const remind = await auditOf('access.campaign.remind');
    expect(remind[0]!.changes.map((c) => c.after)).toEqual([
      { kind: 'reminder', toPersonId: w.owen, entries: 2, mail: 'not_sent' },
    ]);
    expect(smtp.messages).toHaveLength(0);
  });

  it.skipIf(skip)('records a reminder to a person without an e-mail address as undeliverable, and still escalates', async () => {
    await app();
    const w = await world({ owenEmail: null });
    t!.manualClock!.advance(23 * DAY);
    await t!.access.reviews.sweep();
    const [r] = await reminders(w.campaign.id);
    expect(r!.delivery).toMatchObject({
      state: 'undeliverable',
      to: null,
      attempts: 0,
      error: 'Owen has no e-mail address',
    });
    // The work list shows it too.
    const owenUser = await createUserWithToken(t!, 'operator');
    await db().updateTable('access_people').set({ user_id: owenUser.user.id }).where('id', '=', w.owen).execute();
    const mine = await t!.app.inject({ method: 'GET', url: '/api/v1/access/reviews/mine', headers: owenUser.headers });
    expect((JSON.parse(mine.body) as { reminders: ReminderItem[] }).reminders.map((x) => x.delivery.state)).toEqual([
      'undeliverable',
    ]);
    t!.manualClock!.advance(8 * DAY);
    await t!.access.reviews.sweep();
    expect(smtp.messages.map((m) => m.to)).toEqual([['boss@example.dk']]);
  });

  it.skipIf(skip)('sends a mail whose sender crashed mid-send once more after the lease, with the same Message-ID', async () => {
    await app();
    const w = await world();
    t!.manualClock!.advance(23 * DAY);
    await t!.access.reviews.sweep();
    const [r] = await reminders(w.campaign.id);
    // Every reminder has exactly its one mail, written with it.
    const rows = await db().selectFrom('access_review_mail').selectAll().execute();
    expect(rows.map((x) => x.reminder_id)).toEqual([r!.id]);
    // As if a worker had claimed it and died before recording: held until the lease runs out, then sent again.
    const lease = new Date(t!.clock.now().getTime() + 60_000).toISOString();
    await db()
      .updateTable('access_review_mail')
      .set({ state: 'sending', lease_until: lease, sent_at: null })
      .where('id', '=', rows[0]!.id)
      .execute();
    await t!.access.reviews.deliverMail();
    expect(smtp.messages).toHaveLength(1);
    t!.manualClock!.advance(61_000);
    expect(await t!.access.reviews.deliverMail()).toMatchObject({ sent: 1 });
    expect(smtp.messages.map((m) => m.messageId)).toEqual([`<${rows[0]!.id}@skjold>`, `<${rows[0]!.id}@skjold>`]);
    expect((await reminders(w.campaign.id))[0]!.delivery).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it.skipIf(skip)('migrates reminders recorded before e-mail to "not sent", leaving them visible', async () => {
    const fresh = await freshDatabase(dialect);
    const database = openDatabase({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl });
    try {
      expect((await migrate(database, [{ name: 'access', migrations: { '0004-reviews': m0004Reviews } }])).error).toBeUndefined();
      await database.db
        .insertInto('access_review_reminders')
        .values({
          id: 'r1',
          campaign_id: 'c1',
          kind: 'reminder',
          to_person_id: 'p1',
          about_person_id: 'p1',
          entries: 3,
          sent_at: START,
        })
        .execute();
      const up = await migrate(database, [
        { name: 'access', migrations: { '0004-reviews': m0004Reviews, '0005-review-mail': m0005ReviewMail } },
      ]);
      expect(up.error).toBeUndefined();
      expect(up.results?.map((r) => `${r.migrationName}:${r.status}`)).toEqual(['access/0005-review-mail:Success']);
      const rows = await database.db.selectFrom('access_review_mail').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        reminder_id: 'r1',
        campaign_id: 'c1',
        to_person_id: 'p1',
        state: 'not_sent',
        attempts: 0,
        last_error: 'recorded before reminders were e-mailed',
        created_at: START,
        sent_at: null,
      });
    } finally {
      await database.close();
      await fresh.drop();
    }
  });
});

describe('access mail configuration', () => {
  const load = (env: Record<string, string>) => {
    try {
      loadSkjoldConfig({ env: { SKJOLD_DATA_DIR: '/tmp/skjold-config-test', ...env } });
      return [];
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
  };

  it('names each problem with its variable, and never repeats the password', () => {
    expect(load({ SKJOLD_ACCESS_SMTP_URL: 'http://mail.example.dk' })).toEqual([
      'SKJOLD_ACCESS_SMTP_URL (access.smtpUrl): must be smtp://[user:password@]host[:port] or smtps://[user:password@]host[:port] (the scheme is http:)',
    ]);
    expect(load({ SKJOLD_ACCESS_SMTP_URL: 'smtp://mail.example.dk' })).toEqual([
      'SKJOLD_ACCESS_MAIL_FROM (access.mailFrom): required when SKJOLD_ACCESS_SMTP_URL is set: the sender of reminders',
    ]);
    const clear = load({
      SKJOLD_ACCESS_SMTP_URL: 'smtp://skjold:s3cret-pw@mail.example.dk',
      SKJOLD_ACCESS_MAIL_FROM: 'skjold@example.dk',
    });
    expect(clear).toEqual([
      'SKJOLD_ACCESS_SMTP_URL (access.smtpUrl): a password is only sent over TLS: use smtps:// or set SKJOLD_ACCESS_SMTP_REQUIRE_TLS=true',
    ]);
    expect(
      load({ SKJOLD_ACCESS_SMTP_URL: 'smtp://skjold:s3cret-pw@mail.example.dk/x?y', SKJOLD_ACCESS_MAIL_FROM: 'nobody' }),
    ).toEqual([
      'SKJOLD_ACCESS_SMTP_URL (access.smtpUrl): must be smtp://[user:password@]host[:port] or smtps://[user:password@]host[:port] (no path, query or fragment)',
      'SKJOLD_ACCESS_MAIL_FROM (access.mailFrom): must be an e-mail address such as skjold@example.dk',
    ]);
    expect(JSON.stringify([clear])).not.toContain('s3cret');
  });

  it('reads user, password, TLS and port from the URL', () => {
    const c = loadSkjoldConfig({
      env: {
        SKJOLD_ACCESS_SMTP_URL: 'smtps://relay%40example.dk:p%3Ass@mail.example.dk',
        SKJOLD_ACCESS_MAIL_FROM: 'skjold@example.dk',
      },
    });
    expect(c.access.smtpUrl).toEqual({
      host: 'mail.example.dk',
      port: 465,
      secure: true,
      auth: { user: 'relay@example.dk', password: 'p:ss' },
      display: 'smtps://relay%40example.dk@mail.example.dk:465',
    });
    const starttls = loadSkjoldConfig({
      env: {
        SKJOLD_ACCESS_SMTP_URL: 'smtp://u:p@mail.example.dk:2525',
        SKJOLD_ACCESS_SMTP_REQUIRE_TLS: 'true',
        SKJOLD_ACCESS_MAIL_FROM: 'skjold@example.dk',
      },
    });
    expect(starttls.access.smtpUrl).toMatchObject({ port: 2525, secure: false, display: 'smtp://u@mail.example.dk:2525' });
  });
});
