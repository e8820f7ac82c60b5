import type { SkjoldApp } from '../src/app.ts';
import type { TargetInput } from '../src/modules/oncall/paging.policies.ts';
import { TEST_ACTOR, TEST_PASSWORD } from './identity.ts';

/**
 * A paging set-up made through the services: user `ann` (operator) reachable by e-mail through channel `mail` (SMTP on
 * `smtpPort`), a webhook channel `ops-hook` (to `hookUrl`), and a default policy with the given levels.
 */
export async function seedPaging(
  app: SkjoldApp,
  o: { smtpPort: number; hookUrl: string; levels: { targets: TargetInput[]; escalateAfterSeconds: number }[] },
): Promise<{ annId: string }> {
  const ann = await app.identity.service.createUser({ username: 'ann', password: TEST_PASSWORD, role: 'operator' }, TEST_ACTOR);
  const setup = app.oncall.paging;
  await app.database.db.transaction().execute(async (trx) => {
    await setup.createChannel(trx, {
      name: 'mail',
      forUsers: true,
      enabled: true,
      config: { kind: 'email', host: '127.0.0.1', port: o.smtpPort, from: 'skjold@example.org' },
    });
    await setup.createChannel(trx, {
      name: 'ops-hook',
      forUsers: false,
      enabled: true,
      config: { kind: 'webhook', url: o.hookUrl, secret: 'paging-fixture-webhook-secret' },
    });
    await setup.setContact(trx, ann.id, { email: 'ann@example.org', phone: null, channels: ['mail'] });
    await setup.createPolicy(trx, { name: 'Default', description: '', isDefault: true, repeat: 0, match: {}, levels: o.levels });
  });
  return { annId: ann.id };
}
