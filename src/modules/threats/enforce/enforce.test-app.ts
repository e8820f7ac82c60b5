import { actorRef } from '../../../core/auth.ts';
import type { DialectName } from '../../../core/db/database.ts';
import { createTestApp, type TestApp } from '../../../../test/app.ts';
import { TEST_ACTOR } from '../../../../test/identity.ts';
import type { BouncersService, BouncerWithKey } from '../bouncers.service.ts';
import type { BanRequest, DecisionView } from '../decisions.service.ts';

export interface EnforceTestApp {
  t: TestApp;
  bouncers: BouncersService;
  /** Ban through the decisions service, in a transaction (as the pipeline and the API do). */
  ban(target: string, opts?: Partial<BanRequest>): Promise<DecisionView>;
  unban(id: string): Promise<void>;
  /** A bouncer made through the service; its key is in `apiKey`. */
  bouncer(name?: string): Promise<BouncerWithKey>;
}

const TEST_ACTOR_REF = actorRef(TEST_ACTOR);
const noAudit = { target: () => undefined, change: () => undefined };
let made = 0;

/** A whole Skjold for the enforcement tests (API role: no engine), with helpers to ban, unban and make bouncers. */
export async function createEnforceTestApp(
  dialect: DialectName,
  opts: { manualClock?: boolean; tls?: boolean } = {},
): Promise<EnforceTestApp> {
  const t = await createTestApp(dialect, { ...opts, env: { SKJOLD_ROLES: 'api' } });
  const bouncers = t.threats.bouncers;
  const db = t.database.db;
  return {
    t,
    bouncers,
    async ban(target, o = {}) {
      const r = await db.transaction().execute((trx) =>
        t.threats.decisions.ban(trx, {
          target,
          reason: 'test',
          scenario: 'skjold/ssh-bruteforce',
          origin: 'skjold',
          actor: TEST_ACTOR_REF,
          durationSeconds: 3600,
          ...o,
        }),
      );
      if (!r.ok) throw new Error(`ban of ${target} refused: ${r.reason}`);
      return r.decision as DecisionView;
    },
    async unban(id) {
      await db.transaction().execute((trx) => t.threats.decisions.unban(trx, id, TEST_ACTOR_REF));
    },
    async bouncer(name = `fw-${++made}`) {
      return bouncers.create(db, { name }, TEST_ACTOR_REF, noAudit);
    },
  };
}
