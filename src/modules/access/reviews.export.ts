import { createHash } from 'node:crypto';
import PDFDocument from 'pdfkit';
import type { Db } from '../../core/db/database.ts';
import { reviewErrors } from './reviews.errors.ts';
import type { CampaignView, EntryView, ReviewsService } from './reviews.service.ts';

/** The CSV's columns, in order: one row per entry (issue 6 item 7). */
export const EVIDENCE_COLUMNS = [
  'entry',
  'subject',
  'person',
  'person_email',
  'person_status',
  'system_or_site',
  'level',
  'privileged',
  'account',
  'last_used_at',
  'grant_id',
  'flags',
  'reviewer',
  'decision',
  'reason',
  'reduce_to',
  'decided_by',
  'decided_at',
  'overdue',
  'undecided_at_close',
  'result',
] as const;

/** One CSV cell: quoted, quotes doubled; a leading = + - @ is defused so a spreadsheet does not run it as a formula. */
function cell(v: string | number | boolean | null | undefined): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replaceAll('"', '""')}"`;
}

/** What a decision changed, in words (CSV and PDF). */
export function resultText(e: EntryView): string {
  const r = e.result;
  const parts: string[] = [];
  if (r.grantEnded) parts.push(`grant ${r.grantEnded.grantId} ended (${r.grantEnded.state})`);
  if (r.newGrantId) parts.push(`new grant ${r.newGrantId} at ${e.reduceTo ?? ''}`);
  if (r.siteGrantEnded) parts.push(`site grant ${r.siteGrantEnded.siteGrantId} ended (${r.siteGrantEnded.state})`);
  if (r.removalTaskId) parts.push(`removal task ${r.removalTaskId} opened`);
  if (r.note) parts.push(r.note);
  for (const h of r.reassignments ?? []) parts.push(`reassigned ${h.from ?? '-'} -> ${h.to} by ${h.by} at ${h.at}`);
  return parts.join('; ');
}

export interface Evidence {
  campaign: CampaignView;
  entries: EntryView[];
  csv: string;
  sha256: string;
}

/** The evidence of a closed campaign: its entries as CSV, and that CSV's sha256. */
export async function evidence(reviews: ReviewsService, db: Db, campaignId: string): Promise<Evidence> {
  const campaign = await reviews.get(db, campaignId);
  if (campaign.state !== 'closed') throw reviewErrors.notClosed(campaignId);
  const entries = await reviews.entries(db, campaignId);
  const lines = [EVIDENCE_COLUMNS.map(cell).join(',')];
  for (const e of entries) {
    const f = e.facts;
    lines.push(
      [
        e.id,
        e.subjectKey,
        f.personName ?? '',
        f.personEmail ?? '',
        f.personStatus ?? '',
        f.targetName,
        f.level ?? '',
        f.privileged ? 'yes' : 'no',
        f.account ?? '',
        f.lastUsedAt ?? '',
        f.grantId ?? '',
        e.flags.join(' '),
        e.reviewerName ?? '',
        e.decision ?? '',
        e.reason ?? '',
        e.reduceTo ?? '',
        e.decidedByName ?? e.decidedBy ?? '',
        e.decidedAt ?? '',
        e.overdue ? 'yes' : 'no',
        e.undecidedAtClose ? 'yes' : 'no',
        resultText(e),
      ]
        .map(cell)
        .join(','),
    );
  }
  const csv = `${lines.join('\r\n')}\r\n`;
  return { campaign, entries, csv, sha256: createHash('sha256').update(csv, 'utf8').digest('hex') };
}

/** Counts of decisions for the header. */
export function decisionCounts(entries: EntryView[]): Record<string, number> {
  const out: Record<string, number> = { keep: 0, revoke: 0, reduce: 0, defer: 0, undecided: 0 };
  for (const e of entries) out[e.decision ?? 'undecided'] = (out[e.decision ?? 'undecided'] ?? 0) + 1;
  return out;
}

/**
 * The evidence as a PDF an auditor samples: a header (scope, dates, reviewers, counts, the CSV's sha256), then one block
 * per entry (who reviewed what, when, which decision and reason, flags, what changed). Uncompressed, with the standard
 * Helvetica fonts, so its text can be searched and checked.
 */
export function evidencePdf(ev: Evidence, generatedAt: Date): Promise<Buffer> {
  const { campaign: c, entries } = ev;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    compress: false,
    info: { Title: `Access review evidence: ${c.name}`, Author: 'Skjold', Subject: 'Access review (P7)' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const counts = decisionCounts(entries);
  doc.font('Helvetica-Bold').fontSize(16).text(`Access review evidence: ${c.name}`);
  doc.moveDown(0.5).font('Helvetica').fontSize(10);
  const scope = c.scope;
  const line = (label: string, value: string) => {
    doc.font('Helvetica-Bold').text(`${label}: `, { continued: true }).font('Helvetica').text(value);
  };
  line('Policy', scope.policyName);
  line('Scope', `${scope.scope}${scope.privilegedOnly ? ' (privileged only)' : ''}; reviewer rule ${scope.reviewerRule}`);
  line('Systems/sites', scope.targets.map((t) => t.name).join(', ') || '(none)');
  line('Started', c.startedAt);
  line('Due', c.dueAt);
  line('Closed', `${c.closedAt ?? ''} by ${c.lockedBy ?? ''}${c.closeReason ? ` (reason: ${c.closeReason})` : ''}`);
  line('Reviewers', c.reviewers.map((r) => `${r.name} (${r.decided}/${r.total})`).join(', ') || '(none)');
  line(
    'Entries',
    `${entries.length}: keep ${counts['keep']}, revoke ${counts['revoke']}, reduce ${counts['reduce']}, defer ${counts['defer']}, undecided ${counts['undecided']}; overdue ${c.overdue}`,
  );
  line('CSV sha256', ev.sha256);
  line('Generated', generatedAt.toISOString());
  doc.moveDown();
  for (const e of entries) {
    const f = e.facts;
    if (doc.y > doc.page.height - 150) doc.addPage();
    doc
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(`${e.seq}. ${f.personName ?? '(no person)'} on ${f.targetName}`);
    doc.font('Helvetica').fontSize(9);
    doc.text(
      `Level: ${f.level ?? '-'}${f.privileged ? ' (privileged)' : ''}; account: ${f.account ?? '-'}; last use: ${f.lastUsedAt ?? '-'}; flags: ${e.flags.join(', ') || '-'}`,
    );
    doc.text(
      `Reviewer: ${e.reviewerName ?? '-'}; decision: ${e.decision ?? (e.undecidedAtClose ? 'undecided at close' : 'undecided')}${e.reason ? ` (${e.reason})` : ''}; by ${e.decidedByName ?? e.decidedBy ?? '-'} at ${e.decidedAt ?? '-'}${e.overdue ? '; overdue' : ''}`,
    );
    const res = resultText(e);
    if (res) doc.text(`Result: ${res}`);
    doc.moveDown(0.5);
  }
  doc.end();
  return done;
}
