import { describeMigrations } from '../../../../test/migrations.ts';
import { vulnsMigrations } from '../index.ts';

/**
 * Every registered vulns migration goes up on a fresh database (after the ones before it), on both databases, down to
 * exactly the schema before it and up again.
 */
describeMigrations('vulns', vulnsMigrations, { requireDown: true });
