import type { TestApp } from '../../../test/app.ts';

/** Small factories for the audit module's tests (not a test file itself). */

/** Quiet background checkpoints: the tests make them where they want them. */
export const QUIET_CHECKPOINTS = { SKJOLD_AUDIT_CHECKPOINT_EVERY: '1000000', SKJOLD_AUDIT_CHECKPOINT_SECONDS: '86400' };

/** Append `n` entries with the group-commit sink. */
export async function appendN(t: TestApp, n: number, action = 'test.append'): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      t.audit.sink.append({ actor: 'system:test', action, target: `n:${i}`, outcome: 'allowed' }),
    ),
  );
}

/** 40 entries with checkpoints at tree sizes 10, 11, 20, 30 and 40. */
export async function seedLog(t: TestApp): Promise<void> {
  for (const n of [10, 1, 9, 10, 10]) {
    await appendN(t, n);
    await t.audit.service.checkpointer.checkpointNow();
  }
}
