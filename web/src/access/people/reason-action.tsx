import { useState, type FormEvent } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';

/**
 * A button that asks for a reason in place before acting (reject, revoke, leave, take off the list): the reason
 * becomes part of the record, so it is asked for every time.
 */
export function ReasonAction({
  label,
  danger,
  onSubmit,
}: {
  label: string;
  danger?: boolean;
  onSubmit: (reason: string) => Promise<void>;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <button type="button" className={`btn btn-small${danger ? ' btn-danger-outline' : ''}`} onClick={() => setOpen(true)}>
        {label}
      </button>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onSubmit(reason.trim());
      setOpen(false);
      setReason('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="reason-form" onSubmit={(e) => void submit(e)} aria-label={label}>
      <input
        aria-label={t('access.people.reason')}
        placeholder={t('access.people.reason')}
        value={reason}
        minLength={3}
        maxLength={1000}
        required
        autoFocus
        onChange={(e) => setReason(e.target.value)}
      />
      <button type="submit" className={`btn btn-small${danger ? ' btn-danger' : ' btn-primary'}`} disabled={busy}>
        {label}
      </button>
      <button type="button" className="btn btn-small btn-quiet" onClick={() => setOpen(false)}>
        {t('common.cancel')}
      </button>
    </form>
  );
}
