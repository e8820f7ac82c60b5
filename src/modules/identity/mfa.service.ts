import { iso } from '../../core/clock.ts';
import type { Db } from '../../core/db/database.ts';
import { conflict, invalid } from '../../core/errors.ts';
import { mfaSecretContext, type AuditNotes, type IdentityContext } from './identity.context.ts';
import { userRef } from './identity.model.ts';
import { recoveryCodesStore, usersStore } from './identity.store.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import type { LiveSession, NewSession } from './sessions.ts';
import { checkTotp, newTotpSecret, totpQrDataUrl, totpUri } from './totp.ts';
import type { UsersService } from './users.service.ts';

export interface EnrolmentStart {
  /** Base32 secret, for typing into an app that cannot scan. */
  secret: string;
  otpauthUrl: string;
  /** PNG QR code of otpauthUrl as a data: URL. */
  qrDataUrl: string;
}

/** TOTP enrolment: a pending secret (sealed at rest), confirmed by a first code, then ten recovery codes. */
export class MfaService {
  constructor(
    private readonly c: IdentityContext,
    private readonly users: UsersService,
  ) {}

  /** Start (or restart) enrolment with a fresh secret; refused when MFA is already on (an admin resets it). */
  async start(db: Db, userId: string, notes: AuditNotes): Promise<EnrolmentStart> {
    const row = await this.users.row(db, userId);
    notes.target(userRef(row.id));
    if (row.mfa_secret !== null) throw conflict('mfa_already_enabled', 'MFA is already enabled; an admin can reset it');
    const secret = newTotpSecret();
    await usersStore.update(db, row.id, {
      mfa_pending_secret: this.c.secrets.seal(secret, mfaSecretContext(row.id)),
      updated_at: iso(this.c.clock.now()),
    });
    notes.change({ type: 'user', id: row.id, after: { mfaEnrolment: 'started' } });
    const otpauthUrl = totpUri(secret, row.username);
    return { secret, otpauthUrl, qrDataUrl: await totpQrDataUrl(otpauthUrl) };
  }

  /**
   * Confirm with a code from the app: MFA is on, ten recovery codes are made (returned once, stored hashed), the
   * user's other sessions end, and this session becomes a full one under a new id.
   */
  async confirm(
    db: Db,
    session: LiveSession,
    code: string,
    notes: AuditNotes,
  ): Promise<{ recoveryCodes: string[]; session: NewSession }> {
    const { clock, secrets, sessions } = this.c;
    const row = await this.users.row(db, session.userId);
    notes.target(userRef(row.id));
    if (row.mfa_secret !== null) throw conflict('mfa_already_enabled', 'MFA is already enabled');
    if (row.mfa_pending_secret === null) throw conflict('mfa_enrolment_not_started', 'start the enrolment first');
    const now = clock.now();
    const check = checkTotp(secrets.open(row.mfa_pending_secret, mfaSecretContext(row.id)), code.trim(), now, null);
    if (!check.ok)
      throw invalid('mfa_code_invalid', 'wrong code: check the time on your phone and try the next code', [
        { path: 'body.code', message: 'wrong code' },
      ]);
    await usersStore.update(db, row.id, {
      mfa_secret: row.mfa_pending_secret,
      mfa_pending_secret: null,
      mfa_enabled_at: iso(now),
      // The confirming code may not be used again to sign in.
      mfa_last_step: check.step,
      updated_at: iso(now),
    });
    const recoveryCodes = newRecoveryCodes();
    await recoveryCodesStore.replace(db, row.id, recoveryCodes.map(hashRecoveryCode), iso(now));
    const revoked = await sessions.revokeAllForUser(db, row.id, now, session.id);
    const next = await sessions.rotate(db, session, 'full', now);
    notes.detail({ sessionsRevoked: revoked });
    notes.change({ type: 'user', id: row.id, before: { mfaEnabled: false }, after: { mfaEnabled: true } });
    return { recoveryCodes, session: next };
  }
}
