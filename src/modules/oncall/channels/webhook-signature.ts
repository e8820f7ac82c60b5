import { createHmac, timingSafeEqual } from 'node:crypto';

const hmac = (secret: string, t: number, rawBody: string | Buffer): Buffer =>
  createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();

/** The X-Skjold-Signature value for a body sent at unix second `t`: `t=<t>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export function signWebhook(secret: string, rawBody: string | Buffer, t: number): string {
  return `t=${t},v1=${hmac(secret, t, rawBody).toString('hex')}`;
}

/**
 * For receivers: whether `header` (X-Skjold-Signature) signs exactly `rawBody` (the bytes as received, before any JSON
 * parsing) with `secret`, at a time within `toleranceSeconds` of `now` either way (replay protection). Several `v1=`
 * entries are accepted, for secret rotation. Compares in constant time; never throws.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Buffer,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  if (typeof header !== 'string' || header.length > 1024) return false;
  let t: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2);
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || signatures.length === 0) return false;
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = hmac(secret, t, rawBody);
  // Check every entry (no early exit) so timing says nothing about which one matched.
  let ok = false;
  for (const s of signatures) ok = timingSafeEqual(s, expected) || ok;
  return ok;
}
