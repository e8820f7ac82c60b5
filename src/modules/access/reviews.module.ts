import type { AuditRecorder, AuditSink } from '../../core/audit.ts';
import type { Actor, Permission } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../core/db/database.ts';
import type { AnyRoute } from '../../core/http/routes.ts';
import type { Logger } from '../../core/logger.ts';
import type { SignalSink } from '../../core/signals.ts';
import { emailChannelSchema, smtpSender } from '../oncall/index.ts';
import type { AccessConfig } from './access.config.ts';
import type { RemovalTaskInput, TaskView } from './accounts.service.ts';
import { reviewsRoutes } from './api/reviews.routes.ts';
import { type GrantsService, grantActor } from './grants.service.ts';
import type { ReviewEffects } from './reviews.decisions.ts';
import { ReviewsService } from './reviews.service.ts';
import type { AccountFact } from './reviews.snapshot.ts';
import { type MailRound, ReviewMailOutbox } from './reviews.mail-outbox.ts';
import { sweepReviews } from './reviews.sweep.ts';
import type { SiteGrantsService } from './site-grants.service.ts';
import './reviews.tables.ts';

export interface ReviewsPartDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: Pick<AccessConfig, 'smtpUrl' | 'smtpRequireTls' | 'mailFrom' | 'mailAttempts' | 'mailTimeoutMs'>;
  /** Base URL people reach the console at (links in reminder e-mails). */
  publicUrl?: string | undefined;
  /** Zone due dates are shown in (reminder e-mails); default Europe/Copenhagen. */
  timeZone?: string | undefined;
  audit: AuditSink;
  signals: SignalSink;
  allows: (actor: Actor, p: Permission) => boolean;
  /** The PEOPLE part: a review's revoke and reduce go through it. */
  grants: Pick<GrantsService, 'revoke' | 'reduce'>;
  /** The PHYSICAL part: a review's revoke of site access goes through it. */
  siteGrants: Pick<SiteGrantsService, 'end'>;
  /** The ACCOUNTS part: a review's revoke opens a removal task through it. */
  openRemovalTask: (trx: Db, input: RemovalTaskInput, rec: AuditRecorder) => Promise<TaskView[]>;
}

export interface ReviewsPart {
  reviews: ReviewsService;
  routes(): AnyRoute[];
  /** Start due campaigns, remind, flag overdue and escalate; then send the reminder e-mails that are due. */
  sweep(): Promise<unknown>;
  /** Send the reminder e-mails that are due (the sweep does this after reminding). */
  deliverMail(): Promise<MailRound>;
}

/** The live accounts of the systems in scope, as the ACCOUNTS part imported them (gone ones are not access). */
async function liveAccounts(db: Db, systemIds: string[]): Promise<AccountFact[]> {
  const rows = await db
    .selectFrom('access_accounts')
    .select(['id', 'system_id', 'account', 'person_id', 'last_used_at', 'first_seen_at'])
    .where('system_id', 'in', systemIds)
    .where('gone_at', 'is', null)
    .orderBy('account')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    systemId: r.system_id,
    name: r.account,
    personId: r.person_id,
    lastUsedAt: r.last_used_at,
    firstSeenAt: r.first_seen_at,
  }));
}

/**
 * Access reviews (issue 6 items 6–7): policies, campaigns that freeze their scope, decisions whose effects go through
 * the parts that own grants, site grants and removal tasks, the sweep, and the evidence export.
 */
export function createReviewsPart(deps: ReviewsPartDeps): ReviewsPart {
  const reviews = new ReviewsService({ clock: deps.clock, accounts: liveAccounts });
  const effects: ReviewEffects = {
    async endGrant(db, grantId, by, reason, audit) {
      const g = await deps.grants.revoke(db, grantId, grantActor(by.actor), reason, audit);
      return { state: g.state };
    },
    async reduceGrant(db, grantId, level, by, reason, audit) {
      const r = await deps.grants.reduce(db, grantId, level, grantActor(by.actor), reason, audit);
      return { newGrantId: r.replacement.id };
    },
    async endSiteGrant(db, siteGrantId, by, reason, audit) {
      const g = await deps.siteGrants.end(db, siteGrantId, 'revoke', reason, by.actor, audit);
      return { state: g.state };
    },
    async openRemovalTask(db, input, audit) {
      const tasks = await deps.openRemovalTask(
        db,
        {
          systemId: input.systemId,
          account: input.account,
          personId: input.personId ?? '',
          grantId: input.grantId ?? undefined,
          reviewEntryId: input.reviewEntryId,
          actor: input.by,
          reason: input.reason,
        },
        audit,
      );
      return { taskId: tasks.map((t) => t.id).join(',') };
    },
  };
  const isCampaignManager = (a: Actor) => deps.allows(a, 'access.campaigns');
  const { smtpUrl, mailFrom } = deps.config;
  // The same SMTP sender and error mapping as on-call e-mail pages; settings checked at boot (access.config.ts).
  const smtp =
    smtpUrl && mailFrom
      ? emailChannelSchema.parse({
          kind: 'email',
          host: smtpUrl.host,
          port: smtpUrl.port,
          secure: smtpUrl.secure,
          requireTLS: deps.config.smtpRequireTls,
          ...(smtpUrl.auth ? { auth: smtpUrl.auth } : {}),
          from: mailFrom,
        })
      : null;
  const outbox = new ReviewMailOutbox({
    database: deps.database,
    clock: deps.clock,
    log: deps.log,
    sender: smtp ? () => smtpSender(smtp, { timeoutMs: deps.config.mailTimeoutMs }) : null,
    server: smtpUrl?.display,
    attempts: deps.config.mailAttempts,
    leaseMs: deps.config.mailTimeoutMs + 60_000,
  });
  const mail = {
    transport: smtp !== null,
    publicUrl: (deps.publicUrl ?? 'https://localhost:8443').replace(/\/+$/, ''),
    timeZone: deps.timeZone ?? 'Europe/Copenhagen',
  };
  return {
    reviews,
    routes: () => reviewsRoutes({ reviews, effects, clock: deps.clock, isCampaignManager }),
    async sweep() {
      const r = await sweepReviews({
        database: deps.database,
        clock: deps.clock,
        audit: deps.audit,
        signals: deps.signals,
        reviews,
        mail,
      });
      return { ...r, mail: await outbox.deliverMail() };
    },
    deliverMail: () => outbox.deliverMail(),
  };
}
