import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/app.ts';
import { DIALECTS } from '../../../test/databases.ts';
import { createTestUser } from '../../../test/identity.ts';

describe.each(DIALECTS)('password step outside the transaction ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  beforeEach(async () => {
    if (!skip) t = await createTestApp(dialect);
  });
  afterEach(async () => {
    if (!skip) await t.dispose();
  });
  const notes = { target: () => undefined, change: () => undefined, detail: () => undefined };

  it.skipIf(skip)('voids a password check made against a hash that changed before the login committed', async () => {
    const u = await createTestUser(t, 'viewer');
    const input = { username: u.username, password: u.password, ip: '127.0.0.1' };
    const checked = await t.identity.service.signIn.checkPassword(t.database.db, input);
    expect(checked).toMatchObject({ passwordOk: true, blocked: false, userId: u.id });
    // The password is changed while the hash was being computed.
    await t.database.db
      .updateTable('identity_users')
      .set({ password_hash: '$argon2id$changed' })
      .where('id', '=', u.id)
      .execute();
    const res = await t.database.db.transaction().execute((trx) => t.identity.service.signIn.login(trx, input, notes, checked));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.code).toBe('invalid_credentials');
  });

  it.skipIf(skip)('computes no hash for a caller the throttle already refuses', async () => {
    const u = await createTestUser(t, 'viewer');
    for (let i = 0; i < 12; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: u.username, password: 'wrong password here' },
      });
    }
    const checked = await t.identity.service.signIn.checkPassword(t.database.db, {
      username: u.username,
      password: u.password,
      ip: '127.0.0.1',
    });
    expect(checked).toMatchObject({ blocked: true, passwordOk: false, checkedHash: undefined });
  });
});
