import { useEffect, useState, type ReactNode } from 'react';
import { ApiError } from '../app/api.ts';
import { useSession } from '../app/session.tsx';
import { Notice, PageHeader, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { identityApi } from '../identity/identity.api.ts';

/** The message for exactly one field path (`levels.0.targets.1` matches `body.levels.0.targets.1`), not its suffixes. */
export function errorAt(err: unknown, path: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  return err.errors.find((e) => e.path === path || e.path === `body.${path}`)?.message;
}

/** Every field path an error names, without the `body.` prefix (for ProblemAlert's `claimed`). */
export function errorPaths(err: unknown): string[] {
  return err instanceof ApiError ? err.errors.map((e) => e.path.replace(/^body\./, '')) : [];
}

/** A small line icon for a target or channel kind (SVG, no inline style: the CSP forbids it). */
export function KindIcon({ kind }: { kind: string }) {
  const common = {
    className: 'kind-icon',
    viewBox: '0 0 24 24',
    width: 16,
    height: 16,
    'aria-hidden': true,
    fill: 'none',
    stroke: 'currentColor',
    strokeWidth: 2,
    strokeLinecap: 'round' as const,
    strokeLinejoin: 'round' as const,
  };
  switch (kind) {
    case 'user':
      return (
        <svg {...common}>
          <circle cx="12" cy="8" r="4" />
          <path d="M4 21c0-4 4-6 8-6s8 2 8 6" />
        </svg>
      );
    case 'schedule':
      return (
        <svg {...common}>
          <rect x="3" y="5" width="18" height="16" rx="2" />
          <path d="M3 10h18M8 3v4M16 3v4" />
        </svg>
      );
    case 'email':
      return (
        <svg {...common}>
          <rect x="3" y="5" width="18" height="14" rx="2" />
          <path d="m3 7 9 6 9-6" />
        </svg>
      );
    case 'sms':
      return (
        <svg {...common}>
          <rect x="6" y="2" width="12" height="20" rx="2" />
          <path d="M11 18h2" />
        </svg>
      );
    case 'webhook':
      return (
        <svg {...common}>
          <path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1" />
          <path d="M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1" />
        </svg>
      );
    case 'slack':
    case 'teams':
      return (
        <svg {...common}>
          <path d="M21 12a8 8 0 0 1-11.6 7.1L4 21l1.9-5.4A8 8 0 1 1 21 12z" />
        </svg>
      );
    default:
      return (
        <svg {...common}>
          <path d="M3 11v2a2 2 0 0 0 2 2h2l6 4V5L7 9H5a2 2 0 0 0-2 2z" />
          <path d="M17 9a4 4 0 0 1 0 6" />
        </svg>
      );
  }
}

export interface Person {
  id: string;
  username: string;
  name: string;
}

/**
 * The people the console may offer in pickers: every user for those who can list users, else only oneself (the
 * server resolves any typed username anyway).
 */
export function usePeople(): { people: Person[]; complete: boolean } {
  const session = useSession();
  const me = session.me.user;
  const canList = session.can('users.read');
  const [people, setPeople] = useState<Person[]>([{ id: me.id, username: me.username, name: me.displayName || me.username }]);
  useEffect(() => {
    if (!canList) return;
    void identityApi.users().then(
      (r) =>
        setPeople(
          r.items
            .filter((u) => !u.disabled)
            .map((u) => ({ id: u.id, username: u.username, name: u.displayName || u.username }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        ),
      () => undefined,
    );
  }, [canList]);
  return { people, complete: canList };
}

/** A channel kind's label in the reader's language ("E-mail", "SMS gateway"), or the kind itself if unknown. */
export function useKindLabel(): (kind: string) => string {
  const { tMaybe } = useI18n();
  return (kind) => tMaybe(`paging.kind.${kind}`) ?? kind;
}

/**
 * The top of a page that lists things and edits them in place (policies, channels): the title with a "new" button for
 * those who may write, the intro, the last success notice and the last problem.
 */
export function EditableListTop(p: {
  title: string;
  intro: string;
  newLabel: string;
  canWrite: boolean;
  creating: boolean;
  onToggleNew: () => void;
  notice: string | null;
  noticeTestId: string;
  onDismissNotice: () => void;
  error: unknown;
  onDismissError: () => void;
}): ReactNode {
  return (
    <>
      <PageHeader title={p.title}>
        {p.canWrite ? (
          <button type="button" className="btn btn-primary" aria-expanded={p.creating} onClick={p.onToggleNew}>
            {p.newLabel}
          </button>
        ) : null}
      </PageHeader>
      <p className="muted">{p.intro}</p>
      {p.notice ? (
        <Notice onDismiss={p.onDismissNotice}>
          <span data-testid={p.noticeTestId}>{p.notice}</span>
        </Notice>
      ) : null}
      <ProblemAlert error={p.error} onDismiss={p.onDismissError} />
    </>
  );
}
