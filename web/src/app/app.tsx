import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { LoginPage } from '../identity/login-page.tsx';
import { MfaChallengePage } from '../identity/mfa-challenge-page.tsx';
import { MfaEnrolPage } from '../identity/mfa-enrol-page.tsx';
import { identityApi, type LoginResponse, type MeResponse } from '../identity/identity.api.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { ApiError, setCsrfToken, setUnauthenticatedHandler } from './api.ts';
import { Brand, LanguageSwitch } from './header-controls.tsx';
import { SessionContext, makeSession } from './session.tsx';
import { Shell } from './shell.tsx';
import { ProblemAlert } from './ui.tsx';

/**
 * Where the person stands: unknown yet, signing in (password, then maybe a code), forced to enrol MFA,
 * or in. Only `in` shows the console; a privileged user without MFA sees nothing but enrolment.
 */
type Stage =
  | { kind: 'loading' }
  | { kind: 'unreachable'; error: unknown }
  | { kind: 'login'; notice?: 'sessionEnded' | 'signedOut' }
  | { kind: 'mfa'; username: string }
  | { kind: 'enrol'; username: string }
  | { kind: 'in'; me: MeResponse };

function AuthLayout({ children, onSignOut }: { children: ReactNode; onSignOut?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="auth-layout">
      <header className="auth-top">
        <Brand />
        <span className="auth-tagline">{t('app.tagline')}</span>
        <span className="spacer" />
        <LanguageSwitch />
        {onSignOut ? (
          <button type="button" className="btn btn-small btn-on-dark" onClick={onSignOut}>
            {t('shell.signOut')}
          </button>
        ) : null}
      </header>
      <main id="main" className="auth-main">
        {children}
      </main>
    </div>
  );
}

export function App() {
  const { t } = useI18n();
  const [stage, setStage] = useState<Stage>({ kind: 'loading' });

  /** Ask the server who we are and move to the matching stage. */
  const loadMe = useCallback(async (): Promise<void> => {
    try {
      const me = await identityApi.me();
      setCsrfToken(me.csrfToken ?? undefined);
      setStage(me.mfaEnrolmentRequired ? { kind: 'enrol', username: me.user.username } : { kind: 'in', me });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setCsrfToken(undefined);
        setStage((s) => (s.kind === 'in' ? { kind: 'login', notice: 'sessionEnded' } : { kind: 'login' }));
      } else {
        setStage({ kind: 'unreachable', error: err });
      }
    }
  }, []);

  useEffect(() => {
    void loadMe();
  }, [loadMe]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(undefined);
      setStage({ kind: 'login', notice: 'sessionEnded' });
    });
    return () => setUnauthenticatedHandler(undefined);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await identityApi.logout();
    } catch {
      // Signed out or not, the console forgets the session.
    }
    setCsrfToken(undefined);
    setStage({ kind: 'login', notice: 'signedOut' });
  }, []);

  const onSignedIn = (res: LoginResponse) => {
    setCsrfToken(res.csrfToken);
    if (res.mfa === 'required') setStage({ kind: 'mfa', username: res.user.username });
    else if (res.mfa === 'enrol') setStage({ kind: 'enrol', username: res.user.username });
    else void loadMe();
  };

  const session = useMemo(() => (stage.kind === 'in' ? makeSession(stage.me, loadMe, signOut) : null), [stage, loadMe, signOut]);

  useEffect(() => {
    if (stage.kind !== 'in')
      document.title = `${t(stage.kind === 'mfa' ? 'mfa.title' : stage.kind === 'enrol' ? 'enrol.title' : 'login.title')} · Skjold`;
  }, [stage.kind, t]);

  switch (stage.kind) {
    case 'loading':
      return (
        <AuthLayout>
          <p className="muted centered" aria-live="polite">
            {t('app.loading')}
          </p>
        </AuthLayout>
      );
    case 'unreachable':
      return (
        <AuthLayout>
          <section className="auth-card">
            <h1>{t('app.unreachable')}</h1>
            <ProblemAlert error={stage.error} />
            <button type="button" className="btn btn-primary" onClick={() => void loadMe()}>
              {t('app.retry')}
            </button>
          </section>
        </AuthLayout>
      );
    case 'login':
      return (
        <AuthLayout>
          <LoginPage
            notice={
              stage.notice === 'sessionEnded'
                ? t('shell.sessionEnded')
                : stage.notice === 'signedOut'
                  ? t('shell.signedOut')
                  : undefined
            }
            onSignedIn={onSignedIn}
          />
        </AuthLayout>
      );
    case 'mfa':
      return (
        <AuthLayout>
          <MfaChallengePage
            username={stage.username}
            onVerified={(csrf) => {
              setCsrfToken(csrf);
              void loadMe();
            }}
            onBack={() => void signOut().then(() => setStage({ kind: 'login' }))}
          />
        </AuthLayout>
      );
    case 'enrol':
      return (
        <AuthLayout onSignOut={() => void signOut()}>
          <MfaEnrolPage username={stage.username} onDone={() => void loadMe()} />
        </AuthLayout>
      );
    case 'in':
      return session ? (
        <SessionContext.Provider value={session}>
          <Shell />
        </SessionContext.Provider>
      ) : null;
  }
}
