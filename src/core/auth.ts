/**
 * Who is calling, and what they may do. Deny by default: a permission not granted to a role is refused,
 * and a route must name its permission before it can be registered (see http/routes.ts).
 */

export const ROLES = ['admin', 'security-officer', 'operator', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Roles for which MFA is mandatory. */
export const MFA_REQUIRED_ROLES: readonly Role[] = ['admin', 'security-officer'];

/** `resource.verb`, e.g. `users.create`. */
export type Permission = `${string}.${string}`;

export interface PermissionSpec {
  /** Roles granted this permission. The auditor role also gets every `.read`, `.export` and `.verify`. */
  roles: readonly Role[];
  description: string;
}

export type Actor =
  | { type: 'anonymous' }
  | {
      type: 'user' | 'token';
      /** `user:<id>` or `token:<id>`. */
      id: string;
      userId: string;
      username: string;
      role: Role;
      /** Token scopes; a token may do only what both its scopes and its owner's role allow. */
      scopes?: readonly Permission[];
      sessionId?: string;
      /** A privileged user who has not enrolled MFA yet may only enrol (and read who they are). */
      mfaEnrolmentRequired?: boolean;
    }
  | { type: 'system'; id: string; name: string };

/** Registry of every permission the modules declare, and the role grants. */
export class AccessPolicy {
  readonly #perms = new Map<Permission, PermissionSpec>();

  declare(perms: Record<Permission, PermissionSpec>): void {
    for (const [p, spec] of Object.entries(perms) as [Permission, PermissionSpec][]) {
      if (this.#perms.has(p)) throw new Error(`permission ${p} declared twice`);
      this.#perms.set(p, spec);
    }
  }

  has(p: Permission): boolean {
    return this.#perms.has(p);
  }

  all(): Permission[] {
    return [...this.#perms.keys()].sort();
  }

  /** Permissions a role holds. */
  forRole(role: Role): Permission[] {
    return this.all().filter((p) => this.roleHas(role, p));
  }

  roleHas(role: Role, p: Permission): boolean {
    const spec = this.#perms.get(p);
    if (!spec) return false;
    if (spec.roles.includes(role)) return true;
    return role === 'auditor' && /\.(read|export|verify)$/.test(p);
  }

  /** Whether the actor may use permission p. Unknown permissions are always refused. */
  allows(actor: Actor, p: Permission): boolean {
    if (actor.type === 'system') return true;
    if (actor.type === 'anonymous') return false;
    if (actor.mfaEnrolmentRequired) return false;
    if (!this.roleHas(actor.role, p)) return false;
    if (actor.type === 'token') return (actor.scopes ?? []).includes(p);
    return true;
  }
}

/** Stable text for the audit log: `user:<id>`, `token:<id>`, `system:<name>` or `anonymous`. */
export function actorRef(a: Actor): string {
  return a.type === 'anonymous' ? 'anonymous' : a.id;
}
