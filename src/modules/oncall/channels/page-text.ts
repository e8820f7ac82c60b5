import type { PageMessage } from './channel.types.ts';

/** Longest summary any channel shows; incident summaries are short, this only bounds a runaway one. */
export const MAX_SUMMARY = 500;
export const SMS_MAX = 160;

export const severityLabel = (s: PageMessage['severity']): string => s.toUpperCase();

/** One line of printable text: control characters and runs of whitespace become one space, cut to `max` with "...". */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  if (flat.length <= max) return flat;
  // "..." rather than "…": the ellipsis is not in the GSM 7-bit alphabet and would shrink an SMS to 70 characters.
  return max <= 3 ? flat.slice(0, max) : `${flat.slice(0, max - 3).trimEnd()}...`;
}

/**
 * The SMS text, at most 160 characters: severity, level, the summary cut to fit and the whole ack URL (the URL is
 * never cut; null when the URL alone does not fit).
 */
export function smsText(msg: PageMessage): string | null {
  const head = `Skjold ${severityLabel(msg.severity)} L${msg.level}: `;
  const tail = ` Ack: ${msg.ackUrl}`;
  if (tail.trimStart().length > SMS_MAX) return null;
  const room = SMS_MAX - head.length - tail.length;
  if (room < 4) return head.length + tail.length - 1 <= SMS_MAX ? `${head}${tail.trimStart()}` : tail.trimStart();
  return `${head}${oneLine(msg.summary, room)}${tail}`;
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
