import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.ts';
import { createEnforceTestApp, type EnforceTestApp } from './enforce/enforce.test-app.ts';
import { hashBouncerKey } from './bouncers.service.ts';

describe.each(DIALECTS)('bouncer keys on $dialect', ({ dialect, skip }) => {
  let e: EnforceTestApp;

  beforeEach(async () => {
    if (!skip) e = await createEnforceTestApp(dialect, { manualClock: true });
  });
  afterEach(async () => {
    if (!skip) await e.t.dispose();
  });

  it.skipIf(skip)('stores only the SHA-256 of a key and finds the bouncer by the key alone', async () => {
    const b = await e.bouncer('edge-1');
    const db = e.t.database.db;
    const row = await db.selectFrom('threats_bouncers').selectAll().where('id', '=', b.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(hashBouncerKey(b.apiKey));
    expect(JSON.stringify(row)).not.toContain(b.apiKey.slice(4));
    const from = { ip: '192.0.2.10', userAgent: 'crowdsec-firewall-bouncer/v0.0.25' };
    expect((await e.bouncers.authenticate(db, b.apiKey, from))?.id).toBe(b.id);
    for (const bad of [
      undefined,
      '',
      b.apiKey.slice(0, -1),
      `${b.apiKey.slice(0, -1)}${b.apiKey.endsWith('A') ? 'B' : 'A'}`,
      `skp_${b.apiKey.slice(4)}`,
      `${b.apiKey.slice(0, 4).toUpperCase()}${b.apiKey.slice(4)}`,
    ])
      expect(await e.bouncers.authenticate(db, bad, from)).toBeNull();
  });

  it.skipIf(skip)('records the caller’s address and user agent, and a changed one at once', async () => {
    const b = await e.bouncer('edge-2');
    const db = e.t.database.db;
    const seen = async () =>
      db.selectFrom('threats_bouncers').select(['last_ip', 'user_agent']).where('id', '=', b.id).executeTakeFirstOrThrow();
    expect(await seen()).toEqual({ last_ip: null, user_agent: null });
    await e.bouncers.authenticate(db, b.apiKey, { ip: '192.0.2.10', userAgent: 'a/1' });
    expect(await seen()).toEqual({ last_ip: '192.0.2.10', user_agent: 'a/1' });
    // Within the minute: a moved bouncer is written anyway (unchanged ones are not rewritten until a minute passed).
    e.t.manualClock!.advance(5_000);
    await e.bouncers.authenticate(db, b.apiKey, { ip: '192.0.2.11', userAgent: 'a/2' });
    expect(await seen()).toEqual({ last_ip: '192.0.2.11', user_agent: 'a/2' });
  });

  it.skipIf(skip)('deletes a bouncer: its key stops working', async () => {
    const b = await e.bouncer('edge-3');
    const db = e.t.database.db;
    await e.bouncers.remove(db, b.id, { target: () => undefined, change: () => undefined });
    expect(await e.bouncers.authenticate(db, b.apiKey, { ip: '127.0.0.1' })).toBeNull();
    await expect(e.bouncers.remove(db, b.id, { target: () => undefined, change: () => undefined })).rejects.toMatchObject({
      code: 'bouncer_not_found',
    });
  });
});
