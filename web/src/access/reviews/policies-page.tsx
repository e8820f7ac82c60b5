import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { navigate } from '../../app/router.tsx';
import { useSession } from '../../app/session.tsx';
import { Badge, ListTable, PageHeader, ProblemAlert, SelectField, TextField, fieldError } from '../../app/ui.tsx';
import { useI18n } from '../../i18n/i18n.tsx';
import { reviewsApi, type PolicyInput, type ReviewPolicy } from './reviews.api.ts';
import './reviews.css';

const EMPTY: PolicyInput = {
  name: '',
  scope: 'logical',
  privilegedOnly: false,
  intervalMonths: 6,
  dueDays: 30,
  reviewerRule: 'system-owner',
  inactiveDays: 90,
};

/** /access/review-policies: what is reviewed how often and by whom; create one, or start a policy's campaign now. */
export function PoliciesPage() {
  const { t, dateTime } = useI18n();
  const session = useSession();
  const manager = session.can('access.campaigns');
  const [items, setItems] = useState<ReviewPolicy[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [draft, setDraft] = useState<PolicyInput>(EMPTY);
  const [formError, setFormError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setItems(await reviewsApi.policies());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, []);
  useEffect(() => void load(), [load]);
  const create = async (ev: FormEvent) => {
    ev.preventDefault();
    try {
      await reviewsApi.createPolicy(draft);
      setDraft(EMPTY);
      setFormError(null);
      await load();
    } catch (err) {
      setFormError(err);
    }
  };
  const start = async (p: ReviewPolicy) => {
    try {
      const c = await reviewsApi.start(p.id);
      navigate(`/access/reviews/${c.id}`);
    } catch (err) {
      setError(err);
    }
  };
  const num = (k: 'intervalMonths' | 'dueDays' | 'inactiveDays') => (ev: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: Number(ev.target.value) }));
  return (
    <>
      <PageHeader title={t('access.reviews.policies.title')} />
      {error ? <ProblemAlert error={error} onDismiss={() => setError(null)} /> : null}
      <ListTable
        testId="policies"
        columns={[
          t('access.reviews.policy.name'),
          t('access.reviews.col.scope'),
          t('access.reviews.policy.interval'),
          t('access.reviews.policy.reviewer'),
          t('access.reviews.policy.nextRun'),
          ...(manager ? [''] : []),
        ]}
        isEmpty={items !== null && items.length === 0}
        empty={t('access.reviews.policies.empty')}
      >
        {(items ?? []).map((p) => (
          <tr key={p.id}>
            <td>
              {p.name} {p.enabled ? null : <Badge tone="neutral">{t('access.reviews.policy.disabled')}</Badge>}
            </td>
            <td>
              {t(`access.reviews.scope.${p.scope}`)}
              {p.privilegedOnly ? ` · ${t('access.reviews.privilegedOnly')}` : ''}
            </td>
            <td>{t('access.reviews.policy.every', { months: p.intervalMonths, days: p.dueDays })}</td>
            <td>{t(`access.reviews.rule.${p.reviewerRule}`)}</td>
            <td>{p.nextRunAt ? dateTime(p.nextRunAt) : '–'}</td>
            {manager ? (
              <td>
                <button type="button" className="btn btn-small" onClick={() => void start(p)}>
                  {t('access.reviews.policy.start')}
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </ListTable>
      {manager ? (
        <section className="panel review-new-policy" aria-labelledby="new-review-policy">
          <h2 id="new-review-policy">{t('access.reviews.policy.new')}</h2>
          {formError ? <ProblemAlert error={formError} claimed={['name']} /> : null}
          <form className="form-grid" onSubmit={(ev) => void create(ev)} data-testid="new-policy">
            <TextField
              label={t('access.reviews.policy.name')}
              value={draft.name}
              required
              maxLength={200}
              error={fieldError(formError, 'name')}
              onChange={(ev) => setDraft((d) => ({ ...d, name: ev.target.value }))}
            />
            <SelectField
              label={t('access.reviews.col.scope')}
              value={draft.scope}
              onChange={(ev) => setDraft((d) => ({ ...d, scope: ev.target.value as PolicyInput['scope'] }))}
            >
              <option value="logical">{t('access.reviews.scope.logical')}</option>
              <option value="physical">{t('access.reviews.scope.physical')}</option>
            </SelectField>
            <SelectField
              label={t('access.reviews.policy.reviewer')}
              value={draft.reviewerRule}
              onChange={(ev) => setDraft((d) => ({ ...d, reviewerRule: ev.target.value as PolicyInput['reviewerRule'] }))}
            >
              <option value="system-owner">{t('access.reviews.rule.system-owner')}</option>
              <option value="manager">{t('access.reviews.rule.manager')}</option>
            </SelectField>
            <TextField
              label={t('access.reviews.policy.months')}
              type="number"
              min={1}
              max={36}
              value={draft.intervalMonths}
              onChange={num('intervalMonths')}
            />
            <TextField
              label={t('access.reviews.policy.dueDays')}
              type="number"
              min={1}
              max={365}
              value={draft.dueDays}
              onChange={num('dueDays')}
            />
            <TextField
              label={t('access.reviews.policy.inactiveDays')}
              type="number"
              min={1}
              max={3650}
              value={draft.inactiveDays}
              onChange={num('inactiveDays')}
            />
            <label className="check">
              <input
                type="checkbox"
                checked={draft.privilegedOnly}
                onChange={(ev) => setDraft((d) => ({ ...d, privilegedOnly: ev.target.checked }))}
              />
              {t('access.reviews.privilegedOnly')}
            </label>
            <div className="span-all">
              <button type="submit" className="btn btn-primary">
                {t('access.reviews.policy.create')}
              </button>
            </div>
          </form>
        </section>
      ) : null}
    </>
  );
}
