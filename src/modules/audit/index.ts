import { z } from 'zod';
import type { AuditSink } from '../../core/audit.ts';
import type { Permission, PermissionSpec } from '../../core/auth.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../core/db/database.ts';
import type { Logger } from '../../core/logger.ts';
import type { SkjoldModule } from '../../core/module.ts';
import { auditRoutes } from './api/audit.routes.ts';
import { AuditService } from './audit.service.ts';
import { GroupCommitAuditSink } from './audit.sink.ts';
import { m0001Entries } from './migrations/0001-entries.ts';

export const auditConfig = {
  name: 'audit',
  schema: z.object({
    /** Make a signed checkpoint after this many new entries. */
    checkpointEvery: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    /** …or after this many seconds when there are new entries. */
    checkpointSeconds: z.coerce.number().int().min(1).max(86_400).default(60),
  }),
};
export type AuditConfig = z.infer<typeof auditConfig.schema>;

export const auditPermissions: Record<Permission, PermissionSpec> = {
  'audit.read': { roles: ['admin', 'security-officer'], description: 'Search and read the audit log' },
  'audit.export': { roles: ['admin', 'security-officer'], description: 'Export the audit log with checkpoints and proofs' },
  'audit.verify': { roles: ['admin', 'security-officer'], description: 'Run the audit log verification' },
};

export const auditMigrations = { '0001-entries': m0001Entries };

export interface AuditDeps {
  database: Database;
  clock: Clock;
  log: Logger;
  config: AuditConfig;
  dataDir: string;
}

export interface AuditModule extends SkjoldModule {
  sink: AuditSink;
  service: AuditService;
}

/** The tamper-evident audit log: the sink every write path uses, signed checkpoints, proofs, verification, export. */
export function createAuditModule(deps: AuditDeps): AuditModule {
  const sink = new GroupCommitAuditSink(deps.database, deps.clock, deps.log);
  const service = createAuditService(deps);
  sink.onCommitted = (count) => service.noteCommitted(count);
  return {
    name: 'audit',
    migrations: auditMigrations,
    permissions: auditPermissions,
    sink,
    service,
    routes: () => auditRoutes(service),
    start() {
      // The signing key is created here, on first start, in the data directory (not in the database).
      service.start();
      return Promise.resolve();
    },
    async stop() {
      await sink.flush();
      await service.stop();
      await sink.close();
    },
  };
}

/** The audit service alone (CLI: verify and export without starting the server). Call `open()` before use. */
export function createAuditService(deps: AuditDeps): AuditService {
  return new AuditService({
    ...deps,
    checkpointEvery: deps.config.checkpointEvery,
    checkpointSeconds: deps.config.checkpointSeconds,
  });
}

export { verifyAuditLog, type VerifyResult } from './audit.verify.ts';
export { verifyExport, linesOf, type ExportVerifyResult } from './audit.export-verify.ts';
export { readPublicKey, parsePublicKey } from './audit.keys.ts';
export { AuditService } from './audit.service.ts';
