import { createContext, useContext } from 'react';
import type { MeResponse } from '../identity/identity.api.ts';

/** Who is signed in and what they may do. Pages read it; the app owns it. */
export interface Session {
  me: MeResponse;
  /** Whether the signed-in user holds a permission. */
  can: (permission: string) => boolean;
  /** Whether the user holds any permission starting with `prefix` (e.g. `tokens.`). */
  canAny: (prefix: string) => boolean;
  /** Reload /auth/me (after changing your own account). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in shell');
  return s;
}

export function makeSession(me: MeResponse, refresh: () => Promise<void>, signOut: () => Promise<void>): Session {
  const perms = new Set<string>(me.permissions);
  return {
    me,
    can: (p) => perms.has(p),
    canAny: (prefix) => me.permissions.some((p) => p.startsWith(prefix)),
    refresh,
    signOut,
  };
}
