import { Fragment, useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { navigate, useSearch } from '../app/router.tsx';
import { useSession } from '../app/session.tsx';
import { Badge, PageHeader, ProblemAlert, SelectField, TextField } from '../app/ui.tsx';
import { utcToWallTime, wallTimeToUtc } from '../i18n/format.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { auditApi, type AuditEntry, type AuditFilter, type Outcome } from './audit.api.ts';
import { EntryDetails } from './entry-details.tsx';
import { PublicKeyPanel } from './public-key-panel.tsx';
import { VerifyPanel } from './verify-panel.tsx';

const PAGE_SIZE = 50;
const FILTER_KEYS = ['actor', 'action', 'target', 'outcome', 'from', 'to'] as const;
const OUTCOMES: Outcome[] = ['allowed', 'denied', 'failed'];

export const OUTCOME_TONE = { allowed: 'ok', denied: 'bad', failed: 'warn' } as const;

/** The applied filter lives in the address bar, so a search can be bookmarked or handed over. */
function filterFromUrl(search = window.location.search): AuditFilter {
  const q = new URLSearchParams(search);
  const f: AuditFilter = {};
  for (const k of FILTER_KEYS) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

function filterToUrl(f: AuditFilter): string {
  const q = new URLSearchParams();
  for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k]);
  const s = q.toString();
  return `/audit${s ? `?${s}` : ''}`;
}

interface Draft {
  actor: string;
  action: string;
  target: string;
  outcome: string;
  /** datetime-local text in the display time zone. */
  from: string;
  to: string;
}

/** The audit log browser: filter, page through (newest first), expand entries, verify, export. */
export function AuditPage() {
  const i18n = useI18n();
  const { t, timeZone } = i18n;
  const session = useSession();
  const [filter, setFilter] = useState<AuditFilter>(filterFromUrl);
  const toDraft = useCallback(
    (f: AuditFilter): Draft => ({
      actor: f.actor ?? '',
      action: f.action ?? '',
      target: f.target ?? '',
      outcome: f.outcome ?? '',
      from: f.from ? utcToWallTime(f.from, timeZone) : '',
      to: f.to ? utcToWallTime(f.to, timeZone) : '',
    }),
    [timeZone],
  );
  const [draft, setDraft] = useState<Draft>(() => toDraft(filter));
  // Cursors of the pages we came through; the last one is the page on screen (undefined = newest).
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [nextCursor, setNextCursor] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  const [showKey, setShowKey] = useState(false);
  const search = useSearch();
  const inflight = useRef<AbortController | null>(null);
  const cursor = cursors[cursors.length - 1];

  // The datetime fields show wall time in the chosen zone: re-render them when the zone changes.
  useEffect(
    () => setDraft((d) => ({ ...toDraft(filter), actor: d.actor, action: d.action, target: d.target, outcome: d.outcome })),
    [toDraft, filter],
  );

  // A link or the back button changed the address (e.g. "Audit trail" from Users, or the menu): follow it.
  useEffect(() => {
    if (search === filterToUrl(filter).replace(/^\/audit/, '')) return;
    const f = filterFromUrl(search);
    setFilter(f);
    setDraft(toDraft(f));
    setCursors([undefined]);
    setExpanded(new Set());
    // Only the address drives this effect; the filter is compared, not followed.
  }, [search]);

  const load = useCallback(async () => {
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    setLoading(true);
    try {
      const res = await auditApi.entries(filter, cursor, PAGE_SIZE, ctl.signal);
      setItems(res.items);
      setNextCursor(res.nextCursor);
      setError(null);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') return;
      setError(err);
    } finally {
      if (inflight.current === ctl) setLoading(false);
    }
  }, [filter, cursor]);
  useEffect(() => {
    void load();
    return () => inflight.current?.abort();
  }, [load]);

  const apply = (f: AuditFilter) => {
    setFilter(f);
    setCursors([undefined]);
    setExpanded(new Set());
    navigate(filterToUrl(f), { replace: true });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const f: AuditFilter = {};
    if (draft.actor.trim()) f.actor = draft.actor.trim();
    if (draft.action.trim()) f.action = draft.action.trim();
    if (draft.target.trim()) f.target = draft.target.trim();
    if (draft.outcome) f.outcome = draft.outcome;
    const from = wallTimeToUtc(draft.from, timeZone);
    const to = wallTimeToUtc(draft.to, timeZone);
    if (from) f.from = from;
    if (to) f.to = to;
    apply(f);
  };

  const clear = () => {
    setDraft({ actor: '', action: '', target: '', outcome: '', from: '', to: '' });
    apply({});
  };

  const toggle = (seq: number) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });

  const page = cursors.length;
  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  return (
    <>
      <PageHeader title={t('audit.title')}>
        <button type="button" className="btn" onClick={() => void load()} disabled={loading}>
          {t('common.refresh')}
        </button>
        {session.can('audit.export') ? (
          <a
            className="btn"
            href={auditApi.exportUrl(filter.from, filter.to)}
            download
            title={t('audit.exportHint')}
            data-testid="audit-export"
          >
            {t('audit.export')}
          </a>
        ) : null}
        <button type="button" className="btn" aria-expanded={showKey} onClick={() => setShowKey((v) => !v)}>
          {t('audit.publicKey')}
        </button>
      </PageHeader>

      {showKey ? <PublicKeyPanel onClose={() => setShowKey(false)} /> : null}
      {session.can('audit.verify') ? <VerifyPanel /> : null}

      <form className="filter-bar" onSubmit={submit} aria-label={t('audit.filters')} role="search">
        <TextField
          label={t('audit.actor')}
          name="actor"
          value={draft.actor}
          onChange={set('actor')}
          placeholder={t('audit.actorHint')}
          spellCheck={false}
          autoCapitalize="none"
        />
        <TextField
          label={t('audit.action')}
          name="action"
          value={draft.action}
          onChange={set('action')}
          placeholder="users.create"
          spellCheck={false}
          autoCapitalize="none"
        />
        <TextField
          label={t('audit.target')}
          name="target"
          value={draft.target}
          onChange={set('target')}
          spellCheck={false}
          autoCapitalize="none"
        />
        <SelectField label={t('audit.outcome')} name="outcome" value={draft.outcome} onChange={set('outcome')}>
          <option value="">{t('audit.any')}</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {t(`outcome.${o}`)}
            </option>
          ))}
        </SelectField>
        <TextField label={t('audit.from')} name="from" type="datetime-local" step={1} value={draft.from} onChange={set('from')} />
        <TextField label={t('audit.to')} name="to" type="datetime-local" step={1} value={draft.to} onChange={set('to')} />
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            {t('audit.search')}
          </button>
          <button type="button" className="btn" onClick={clear}>
            {t('audit.clear')}
          </button>
        </div>
      </form>

      <ProblemAlert error={error} />

      {items === null && error ? null : (
        <div className="table-wrap">
          <table className="table table-audit" aria-busy={loading} data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col" className="col-toggle">
                  <span className="sr-only">{t('audit.detail')}</span>
                </th>
                <th scope="col">
                  {t('audit.col.time')} <span className="th-note">{timeZone}</span>
                </th>
                <th scope="col">{t('audit.col.actor')}</th>
                <th scope="col">{t('audit.col.action')}</th>
                <th scope="col">{t('audit.col.target')}</th>
                <th scope="col">{t('audit.col.outcome')}</th>
                <th scope="col" className="num">
                  {t('audit.col.status')}
                </th>
                <th scope="col">{t('audit.col.ip')}</th>
              </tr>
            </thead>
            <tbody>
              {items && items.length === 0 ? (
                <tr>
                  <td colSpan={8} className="empty">
                    {t('audit.empty')}
                  </td>
                </tr>
              ) : null}
              {items === null && loading ? (
                <tr>
                  <td colSpan={8} className="empty">
                    {t('app.loading')}
                  </td>
                </tr>
              ) : null}
              {items?.map((e) => {
                const open = expanded.has(e.seq);
                return (
                  <Fragment key={e.seq}>
                    <tr
                      className={`row-click outcome-${e.outcome}${open ? ' row-open' : ''}`}
                      onClick={() => {
                        // Selecting text to copy it is not a request to fold the row.
                        if (!window.getSelection()?.isCollapsed) return;
                        toggle(e.seq);
                      }}
                      data-seq={e.seq}
                      data-action={e.action}
                    >
                      <td className="col-toggle">
                        <button
                          type="button"
                          className="toggle"
                          aria-expanded={open}
                          aria-controls={`entry-${e.seq}`}
                          aria-label={t('audit.expand', { seq: e.seq })}
                          onClick={(ev) => {
                            ev.stopPropagation();
                            toggle(e.seq);
                          }}
                        >
                          <span aria-hidden="true">{open ? '▾' : '▸'}</span>
                        </button>
                      </td>
                      <td className="nowrap mono">
                        <time dateTime={e.ts} title={e.ts}>
                          {i18n.dateTime(e.ts)}
                        </time>
                      </td>
                      <td className={`cell-actor${e.actorName ? '' : ' mono'}`} title={e.actor}>
                        {e.actorName || e.actor}
                      </td>
                      <td className="mono cell-action">{e.action}</td>
                      <td className="mono cell-target" title={e.target ?? undefined}>
                        {e.target ?? ''}
                      </td>
                      <td>
                        <Badge tone={OUTCOME_TONE[e.outcome] ?? 'neutral'}>{t(`outcome.${e.outcome}`)}</Badge>
                      </td>
                      <td className="num mono">{e.status ?? ''}</td>
                      <td className="mono nowrap">{e.ip ?? ''}</td>
                    </tr>
                    {open ? (
                      <tr className="row-details" id={`entry-${e.seq}`}>
                        <td colSpan={8}>
                          <EntryDetails entry={e} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <nav className="pager" aria-label={t('audit.page', { n: page })}>
        <button type="button" className="btn" disabled={page === 1 || loading} onClick={() => setCursors([undefined])}>
          ⇤ {t('audit.newest')}
        </button>
        <button type="button" className="btn" disabled={page === 1 || loading} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← {t('audit.newer')}
        </button>
        <span className="pager-page">{t('audit.page', { n: page })}</span>
        <button
          type="button"
          className="btn"
          disabled={nextCursor === null || loading}
          onClick={() => nextCursor !== null && setCursors((c) => [...c, nextCursor])}
          data-testid="audit-older"
        >
          {t('audit.older')} →
        </button>
      </nav>
    </>
  );
}
