import { useCallback, useState, type FormEvent } from 'react';

/** Busy/error state for one user action (a form submit or a button). */
export interface Action {
  busy: boolean;
  error: unknown;
  setError: (error: unknown) => void;
  /** Runs `fn` with busy set and the error cleared; records a failure. Resolves to whether it succeeded. */
  run: (fn: () => Promise<unknown>) => Promise<boolean>;
  /** A form onSubmit handler: prevents the default, then runs `fn`. */
  submit: (fn: () => Promise<unknown>) => (e: FormEvent) => void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const submit = useCallback(
    (fn: () => Promise<unknown>) => (e: FormEvent) => {
      e.preventDefault();
      void run(fn);
    },
    [run],
  );
  return { busy, error, setError, run, submit };
}
