/**
 * The database schema as Kysely sees it. Each module adds its own tables (prefixed with its name)
 * by declaration merging from its store file:
 *
 *   declare module '../../core/db/tables.ts' { interface Tables { identity_users: UsersTable } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Tables {}
