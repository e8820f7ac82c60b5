import { useId, useState, type FormEvent } from 'react';
import { Notice, ProblemAlert, SelectField, TextField, fieldError } from '../app/ui.tsx';
import { wallTimeToUtc } from '../i18n/format.ts';
import { useI18n } from '../i18n/i18n.tsx';
import {
  NOT_AFFECTED_JUSTIFICATIONS,
  TRIAGE_STATES,
  vulnsApi,
  type FindingDetail,
  type TriageInput,
  type TriageState,
} from './vulns.api.ts';

/**
 * Decide about a finding: the state, a justification when it is not affected, an end date when a risk is accepted (only
 * for those who may accept), and a note. The server checks everything again; its problem response lands beside the
 * field it names.
 */
export function TriageForm({
  finding,
  canAccept,
  onSaved,
  onReload,
}: {
  finding: FindingDetail;
  canAccept: boolean;
  onSaved: (f: FindingDetail) => void;
  onReload: () => Promise<void>;
}) {
  const { t, timeZone } = useI18n();
  const detailId = useId();
  const [state, setState] = useState<TriageState>(finding.triage.state);
  const [justification, setJustification] = useState(finding.triage.justification ?? '');
  const [expires, setExpires] = useState('');
  const [detail, setDetail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSaved(false);
    try {
      const body: TriageInput = { state };
      if ((state === 'not_affected' || state === 'false_positive') && justification) body.justification = justification;
      // The acceptance runs to the end of the chosen day where the user is.
      if (state === 'risk_accepted' && expires) body.expiresAt = wallTimeToUtc(`${expires}T23:59`, timeZone) ?? expires;
      if (detail.trim()) body.detail = detail.trim();
      const next = await vulnsApi.triage(finding.id, body);
      setError(null);
      setDetail('');
      setSaved(true);
      if (next && typeof next === 'object' && 'history' in next) onSaved(next);
      else await onReload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const detailError = fieldError(error, 'detail');
  return (
    <form className="form-stack triage-form" onSubmit={(e) => void submit(e)} data-testid="triage-form" noValidate>
      {saved ? (
        <Notice onDismiss={() => setSaved(false)}>
          {t('vulns.triage.saved', { state: t(`vulns.triage.${finding.triage.state}`) })}
        </Notice>
      ) : null}
      <ProblemAlert error={error} claimed={['state', 'justification', 'expiresAt', 'detail']} onDismiss={() => setError(null)} />
      <SelectField
        label={t('vulns.triage.state')}
        value={state}
        error={fieldError(error, 'state')}
        onChange={(e) => setState(e.target.value as TriageState)}
      >
        {TRIAGE_STATES.map((s) => (
          <option key={s} value={s} disabled={s === 'risk_accepted' && !canAccept}>
            {t(`vulns.triage.${s}`)}
            {s === 'risk_accepted' && !canAccept ? ` (${t('vulns.triage.needsAccept')})` : ''}
          </option>
        ))}
      </SelectField>
      {state === 'not_affected' || state === 'false_positive' ? (
        <SelectField
          label={t('vulns.triage.justification')}
          value={justification}
          error={fieldError(error, 'justification')}
          onChange={(e) => setJustification(e.target.value)}
        >
          <option value="">{t('vulns.triage.chooseJustification')}</option>
          {NOT_AFFECTED_JUSTIFICATIONS.map((j) => (
            <option key={j} value={j}>
              {t(`vulns.justification.${j}`)}
            </option>
          ))}
        </SelectField>
      ) : null}
      {state === 'risk_accepted' ? (
        <TextField
          label={t('vulns.triage.expires')}
          type="date"
          value={expires}
          hint={t('vulns.triage.expiresHint')}
          error={fieldError(error, 'expiresAt')}
          onChange={(e) => setExpires(e.target.value)}
        />
      ) : null}
      <div className={`field${detailError ? ' field-invalid' : ''}`}>
        <label htmlFor={detailId}>
          {t('vulns.triage.detail')}
          <span className="field-optional"> ({t('common.optional')})</span>
        </label>
        <textarea
          id={detailId}
          value={detail}
          maxLength={4000}
          aria-invalid={detailError ? true : undefined}
          aria-describedby={detailError ? `${detailId}-error` : undefined}
          onChange={(e) => setDetail(e.target.value)}
        />
        {detailError ? (
          <span className="field-error" id={`${detailId}-error`}>
            {detailError}
          </span>
        ) : null}
      </div>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? t('vulns.triage.saving') : t('vulns.triage.save')}
        </button>
      </div>
    </form>
  );
}
