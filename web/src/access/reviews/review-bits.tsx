import { useState, type FormEvent } from 'react';
import { useAction } from '../../app/use-action.ts';
import { Badge, ProblemAlert, SelectField, TextField, type Tone } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { reviewsApi, type Campaign, type Entry, type MailDelivery, type ReviewFlag } from './reviews.api.ts';

const FLAG_TONES: Record<ReviewFlag, Tone> = {
  orphaned: 'bad',
  excessive: 'bad',
  leaver: 'bad',
  inactive: 'warn',
  'no-use-data': 'warn',
  'no-grant': 'warn',
  new: 'info',
  changed: 'info',
};

/** An entry's flags as badges. */
export function FlagBadges({ flags }: { flags: ReviewFlag[] }) {
  const { t } = useI18n();
  if (flags.length === 0) return <span className="muted">–</span>;
  return (
    <span className="review-flags">
      {flags.map((f) => (
        <span key={f} className="review-flag" title={t(`access.reviews.flagHint.${f}`)}>
          <Badge tone={FLAG_TONES[f]} testId={`flag-${f}`}>
            {t(`access.reviews.flag.${f}`)}
          </Badge>
        </span>
      ))}
    </span>
  );
}

const DELIVERY_TONES: Record<MailDelivery['state'], Tone> = {
  sent: 'ok',
  pending: 'info',
  sending: 'info',
  failed: 'bad',
  not_sent: 'warn',
  undeliverable: 'bad',
};

/**
 * Where a reminder's e-mail stands: a badge (sent, queued, failed, not sent, undeliverable) and, beside it, to whom and
 * when, or why it did not go out (the mail server's reply, no mail transport configured, no e-mail address).
 */
export function DeliveryBadge({ d }: { d: MailDelivery | null }) {
  const { t, dateTime } = useI18n();
  if (!d) {
    return (
      <span className="review-delivery" data-testid="delivery-none">
        <Badge tone="neutral">{t('access.reviews.mail.none')}</Badge>
      </span>
    );
  }
  const to = d.to ?? '';
  let detail: string;
  switch (d.state) {
    case 'sent':
      detail = t('access.reviews.mail.sentDetail', { to, at: dateTime(d.sentAt) });
      break;
    case 'pending':
      detail =
        d.attempts > 0
          ? t('access.reviews.mail.retryDetail', {
              to,
              n: d.attempts,
              error: d.error ?? '',
              at: d.nextAttemptAt ? dateTime(d.nextAttemptAt) : '–',
            })
          : t('access.reviews.mail.pendingDetail', { to });
      break;
    case 'sending':
      detail = t('access.reviews.mail.pendingDetail', { to });
      break;
    case 'failed':
      detail = t('access.reviews.mail.failedDetail', { to, n: d.attempts, error: d.error ?? '' });
      break;
    case 'not_sent':
      detail = t('access.reviews.mail.notSentDetail');
      break;
    case 'undeliverable':
      detail = d.to ? t('access.reviews.mail.badAddressDetail', { to }) : t('access.reviews.mail.noAddressDetail');
      break;
  }
  return (
    <span className="review-delivery" data-testid={`delivery-${d.state}`}>
      <Badge tone={DELIVERY_TONES[d.state]}>{t(`access.reviews.mail.${d.state}`)}</Badge>{' '}
      <span className="review-delivery-detail">{detail}</span>
    </span>
  );
}

/** decided/total as a bar and numbers. */
export function Progress({ c }: { c: Pick<Campaign, 'decided' | 'total'> }) {
  const { t } = useI18n();
  const pct = c.total === 0 ? 100 : Math.round((c.decided / c.total) * 100);
  return (
    <span
      className="review-progress"
      role="group"
      aria-label={t('access.reviews.progress', { decided: c.decided, total: c.total })}
    >
      <span className="review-progress-track" aria-hidden="true">
        <span className={`review-progress-fill${pct === 100 ? ' done' : ''}`} style={{ width: `${pct}%`, display: 'block' }} />
      </span>
      <span className="review-progress-text">
        {c.decided}/{c.total}
      </span>
    </span>
  );
}

/** What the entry reviews, in one line. */
export function Subject({ e }: { e: Entry }) {
  const { t } = useI18n();
  const f = e.facts;
  return (
    <>
      <strong>{f.personName ?? t('access.reviews.noPerson')}</strong>
      {f.account ? <span className="muted"> ({f.account})</span> : null}
      <br />
      {f.targetName}
      {f.level ? ` · ${f.level}` : ''}
      {f.privileged ? (
        <>
          {' '}
          <Badge tone="warn">{t('access.reviews.privileged')}</Badge>
        </>
      ) : null}
    </>
  );
}

/** An entry's decision as a badge (or undecided / overdue). */
export function DecisionBadge({ e }: { e: Entry }) {
  const { t } = useI18n();
  if (e.decision) {
    const tone: Tone = e.decision === 'keep' ? 'ok' : e.decision === 'defer' ? 'neutral' : 'warn';
    return <Badge tone={tone}>{t(`access.reviews.decision.${e.decision}`)}</Badge>;
  }
  if (e.undecidedAtClose) return <Badge tone="bad">{t('access.reviews.undecidedAtClose')}</Badge>;
  return e.overdue ? (
    <Badge tone="bad">{t('access.reviews.overdue')}</Badge>
  ) : (
    <Badge tone="neutral">{t('access.reviews.undecided')}</Badge>
  );
}

/**
 * One-click Keep and Revoke, and a small form for reduce (to a level), defer and escalate (with a reason). Calls
 * `onDone` after a decision so the list reloads.
 */
export function DecideControls({ e, onDone }: { e: Entry; onDone: () => void }) {
  const { t } = useI18n();
  const { busy, error, setError, run: act } = useAction();
  const [more, setMore] = useState(false);
  const [decision, setDecision] = useState<'reduce' | 'defer' | 'escalate'>('defer');
  const [reason, setReason] = useState('');
  const [reduceTo, setReduceTo] = useState('');
  const who = e.facts.personName ?? e.facts.account ?? '';
  const run = (body: Parameters<typeof reviewsApi.decide>[1]) =>
    act(async () => {
      await reviewsApi.decide(e.id, body);
      onDone();
    });
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    void run({ decision, reason: reason.trim() || undefined, reduceTo: decision === 'reduce' ? reduceTo.trim() : undefined });
  };
  return (
    <div>
      <div className="review-actions">
        <button
          type="button"
          className="btn btn-small btn-primary"
          disabled={busy}
          aria-label={t('access.reviews.keepFor', { who })}
          onClick={() => void run({ decision: 'keep' })}
        >
          {t('access.reviews.decision.keep')}
        </button>
        <button
          type="button"
          className="btn btn-small btn-danger-outline"
          disabled={busy}
          aria-label={t('access.reviews.revokeFor', { who })}
          onClick={() => void run({ decision: 'revoke' })}
        >
          {t('access.reviews.decision.revoke')}
        </button>
        <button type="button" className="btn btn-small" aria-expanded={more} onClick={() => setMore((m) => !m)}>
          {t('access.reviews.more')}
        </button>
      </div>
      {more ? (
        <form className="review-more" onSubmit={submit} aria-label={t('access.reviews.moreFor', { who })}>
          <SelectField
            label={t('access.reviews.decisionLabel')}
            value={decision}
            onChange={(ev) => setDecision(ev.target.value as typeof decision)}
          >
            {e.facts.kind === 'grant' ? <option value="reduce">{t('access.reviews.decision.reduce')}</option> : null}
            <option value="defer">{t('access.reviews.decision.defer')}</option>
            <option value="escalate">{t('access.reviews.decision.escalate')}</option>
          </SelectField>
          {decision === 'reduce' ? (
            <TextField
              label={t('access.reviews.reduceTo')}
              value={reduceTo}
              required
              maxLength={100}
              onChange={(ev) => setReduceTo(ev.target.value)}
            />
          ) : null}
          <TextField
            label={t('access.reviews.reason')}
            value={reason}
            required={decision !== 'reduce'}
            maxLength={2000}
            onChange={(ev) => setReason(ev.target.value)}
          />
          <button type="submit" className="btn btn-small" disabled={busy}>
            {t('access.reviews.submit')}
          </button>
        </form>
      ) : null}
      {error ? <ProblemAlert error={error} onDismiss={() => setError(null)} /> : null}
    </div>
  );
}

/** What a decision changed, in words. */
export function ResultText({ e }: { e: Entry }) {
  const { t } = useI18n();
  const r = e.result;
  const parts: string[] = [];
  if (r.newGrantId) parts.push(t('access.reviews.result.reduced', { level: e.reduceTo ?? '' }));
  else if (r.grantEnded || r.siteGrantEnded) parts.push(t('access.reviews.result.ended'));
  if (r.alreadyEnded) parts.push(t('access.reviews.result.alreadyEnded'));
  if (r.removalTaskId) parts.push(t('access.reviews.result.task'));
  return parts.length ? <div className="muted">{parts.join('; ')}</div> : null;
}
