import { expect } from 'vitest';
import { describeMigrations } from '../../../../test/migrations.ts';
import { accessMigrations } from '../index.ts';

const AT = '2026-01-01T00:00:00.000Z';

/**
 * Every registered access migration (0001 people and grants, 0002 physical, 0003 accounts, 0004 reviews, and any
 * later one) goes up on a fresh database, down to exactly the schema before it and up again, on both databases. A
 * person and a grant written before 0002 are still there after 0002 went up, down and up again: undoing a later
 * migration never touches an earlier one's rows.
 */
describeMigrations('access', accessMigrations, {
  data: {
    '0002-physical': {
      async seed(db) {
        await db
          .insertInto('access_people')
          .values({
            id: 'p1',
            name: 'Alice',
            email: 'alice@example.org',
            kind: 'employee',
            team: 'ops',
            manager_id: null,
            status: 'active',
            left_at: null,
            user_id: null,
            identifiers: '["alice"]',
            created_at: AT,
            updated_at: AT,
          })
          .execute();
        await db
          .insertInto('access_grants')
          .values({
            id: 'g1',
            person_id: 'p1',
            system_id: 's1',
            level: 'read',
            privileged: 0,
            justification: 'on call',
            requested_by: 'system:test',
            state: 'active',
            starts_at: AT,
            created_at: AT,
            updated_at: AT,
          })
          .execute();
      },
      async check(db) {
        const grants = await db.selectFrom('access_grants').select(['id', 'person_id', 'state', 'jit']).execute();
        expect(grants.map((g) => ({ ...g, jit: Number(g.jit) }))).toEqual([
          { id: 'g1', person_id: 'p1', state: 'active', jit: 0 },
        ]);
        expect(await db.selectFrom('access_people').select('name').execute()).toEqual([{ name: 'Alice' }]);
      },
    },
  },
});
