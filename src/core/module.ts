import type { PermissionSpec, Permission } from './auth.ts';
import type { ModuleMigration } from './db/database.ts';
import type { AnyRoute } from './http/routes.ts';

/**
 * What a module hands to the app: its migrations, the permissions it declares, its routes and its
 * lifecycle. Dependencies are passed to the module's factory (`createXModule(deps)`), never imported.
 */
export interface SkjoldModule {
  name: string;
  migrations: Record<string, ModuleMigration>;
  permissions: Record<Permission, PermissionSpec>;
  routes(): AnyRoute[];
  /** Routes whose bodies may exceed the server-wide limit (uploads, imports), up to `maxBytes`: the app raises it. */
  largeBodies?: { urls: readonly string[]; maxBytes: number } | undefined;
  /** Start background work (after migrations ran). */
  start?(): Promise<void>;
  /** Stop background work and flush; called on shutdown after the HTTP server stopped taking requests. */
  stop?(): Promise<void>;
}
