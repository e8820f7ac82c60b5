import { useCallback, useEffect, useState } from 'react';
import { Link } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { ConfirmButton, PageHeader, ProblemAlert } from '../app/ui.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { Ago, DecisionStateBadge, GeoText, TierBadge, decisionState } from './threat-badges.tsx';
import { threatsApi, type AlertDetail } from './threats.api.ts';

/** Labels shown first, with their own names; the rest follow in the order the scenario wrote them. */
const KNOWN_LABELS = ['mitre', 'service', 'source'];

/** /threats/alerts/<id>: what happened, from where, the evidence lines and the ban it led to (unban here too). */
export function AlertDetailPage({ id }: { id: string }) {
  const { t, dateTime, number, tMaybe } = useI18n();
  const session = useSession();
  const [a, setA] = useState<AlertDetail | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setA(await threatsApi.alert(id));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const unban = async (decisionId: string) => {
    try {
      await threatsApi.unban(decisionId);
      await load();
    } catch (err) {
      setError(err);
    }
  };

  if (!a) return error ? <ProblemAlert error={error} /> : <p className="muted">{t('app.loading')}</p>;
  const labels = Object.entries(a.labels).sort(
    ([x], [y]) => (KNOWN_LABELS.indexOf(x) + 1 || 99) - (KNOWN_LABELS.indexOf(y) + 1 || 99) || x.localeCompare(y),
  );
  const d = a.decision;
  return (
    <>
      <p>
        <Link to="/threats/alerts">← {t('threats.alerts.back')}</Link>
      </p>
      <PageHeader title={`${a.scenario} · ${a.scopeValue ?? a.ip ?? a.key}`}>
        <TierBadge tier={a.tier} />
        {a.simulated ? <span className="badge badge-info">{t('threats.simulated')}</span> : null}
      </PageHeader>
      <ProblemAlert error={error} onDismiss={() => setError(null)} />
      <div className="threat-columns">
        <section className="panel">
          <h2>{t('threats.alert.what')}</h2>
          <dl className="facts" data-testid="alert-facts">
            <dt>{t('threats.col.scenario')}</dt>
            <dd className="mono">{a.scenario}</dd>
            <dt>{t('threats.col.source')}</dt>
            <dd>
              <span className="mono strong">{a.ip ?? a.key}</span>{' '}
              {a.scopeValue && a.scopeValue !== a.ip ? <span className="muted mono">({a.scopeValue})</span> : null}
            </dd>
            <dt>{t('threats.col.origin')}</dt>
            <dd>
              <GeoText geo={a.geo} />
            </dd>
            <dt>{t('threats.alert.severity')}</dt>
            <dd>{tMaybe(`incidents.severity.${a.severity}`) ?? a.severity}</dd>
            <dt>{t('threats.col.events')}</dt>
            <dd>
              {number(a.events)}
              {a.overflows > 1 ? <span className="muted"> · {t('threats.alert.overflows', { n: a.overflows })}</span> : null}
            </dd>
            <dt>{t('threats.alert.window')}</dt>
            <dd>
              {dateTime(a.firstAt)} – {dateTime(a.lastAt)}
            </dd>
            {a.ips.length > 1 ? (
              <>
                <dt>{t('threats.alert.addresses')}</dt>
                <dd className="mono small">{a.ips.join(', ')}</dd>
              </>
            ) : null}
            <dt>{t('threats.listedBy')}</dt>
            <dd data-testid="alert-listed-by">
              {a.listedBy.length ? (
                a.listedBy.map((f) => (
                  <span key={f} className="tag tag-first">
                    {f}
                  </span>
                ))
              ) : (
                <span className="muted">{t('threats.alert.notListed')}</span>
              )}
            </dd>
            {labels.map(([k, v]) => (
              <FragmentRow key={k} name={tMaybe(`threats.label.${k}`) ?? k} value={v} />
            ))}
          </dl>
        </section>
        <section className="panel" data-testid="alert-decision">
          <h2>{t('threats.alert.decision')}</h2>
          {d ? (
            <>
              <p>
                <DecisionStateBadge d={d} /> <span className="mono strong">{d.value}</span>
              </p>
              <dl className="facts">
                <dt>{t('threats.col.reason')}</dt>
                <dd>{d.reason}</dd>
                <dt>{t('threats.col.until')}</dt>
                <dd>
                  {dateTime(d.until)} (<Ago at={d.until} />)
                </dd>
                <dt>{t('threats.col.offence')}</dt>
                <dd>{d.offence}</dd>
                {d.deletedAt !== undefined ? (
                  <>
                    <dt>{t('threats.decision.removedAt')}</dt>
                    <dd title={d.deletedBy ?? undefined}>{dateTime(d.deletedAt)}</dd>
                  </>
                ) : null}
              </dl>
              {decisionState(d) === 'active' && session.can('threats.ban') ? (
                <ConfirmButton
                  label={t('threats.unban')}
                  question={t('threats.confirmUnban', { target: d.value })}
                  onConfirm={() => void unban(d.id)}
                />
              ) : null}
            </>
          ) : (
            <p className="muted">{a.tier === 'enrich' ? t('threats.alert.enrichOnly') : t('threats.alert.noDecision')}</p>
          )}
        </section>
      </div>
      <section className="panel">
        <h2>{t('threats.alert.evidence', { n: a.samples.length })}</h2>
        {a.samples.length ? (
          <pre className="evidence" data-testid="evidence" tabIndex={0}>
            {a.samples.join('\n')}
          </pre>
        ) : (
          <p className="muted">{t('threats.alert.noEvidence')}</p>
        )}
        {a.events > a.samples.length ? (
          <p className="muted small evidence-note">{t('threats.alert.samplesNote', { shown: a.samples.length, n: a.events })}</p>
        ) : null}
      </section>
    </>
  );
}

/** A MITRE ATT&CK technique id (T1110 or T1110.001), which links to its page. */
const MITRE = /^T\d{4}(?:\.\d{3})?$/;

function FragmentRow({ name, value }: { name: string; value: string }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className="mono">
        {MITRE.test(value) ? (
          <a href={`https://attack.mitre.org/techniques/${value.replace('.', '/')}/`} target="_blank" rel="noreferrer noopener">
            {value}
          </a>
        ) : (
          value
        )}
      </dd>
    </>
  );
}
