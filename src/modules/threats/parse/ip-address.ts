/**
 * Hand-written IP literal validation on a slice of a line (no substring, no regex): every parser calls this once per
 * event, so it must cost less than `net.isIP` on a fresh substring. Leading zeros in IPv4 octets and IPv6 zone ids
 * (`fe80::1%eth0`) are rejected: no log we read writes them, and an attacker-shaped literal must not become a key.
 */

const MAX_IP_TEXT = 45; // longest IPv6 literal with an embedded IPv4 ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")

/** True when `line[start, end)` is a dotted-quad IPv4 address (four octets 0–255, no leading zeros). */
export function isIpv4At(line: string, start: number, end: number): boolean {
  if (end - start < 7 || end - start > 15) return false;
  let octets = 0;
  let value = 0;
  let digits = 0;
  let first = 0;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      else if (first === 48) return false; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || ++octets > 3) return false;
      value = 0;
      digits = 0;
    } else return false;
  }
  return octets === 3 && digits > 0;
}

/** True when `line[start, end)` is an IPv6 literal (hex groups, at most one `::`, optional trailing IPv4). */
export function isIpv6At(line: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 2 || len > MAX_IP_TEXT) return false;
  let groups = 0;
  let compressed = false;
  let i = start;
  if (line.charCodeAt(i) === 58) {
    // A leading colon is only valid as the start of "::".
    if (line.charCodeAt(i + 1) !== 58) return false;
    compressed = true;
    i += 2;
    if (i === end) return true; // "::"
  }
  while (i < end) {
    const groupStart = i;
    let hex = 0;
    while (i < end && hex < 5) {
      const c = line.charCodeAt(i);
      if ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
        hex++;
        i++;
      } else break;
    }
    if (hex === 0 || hex > 4) {
      return false;
    }
    if (i === end) return ++groups + (compressed ? 1 : 0) <= 8 && (compressed || groups === 8);
    const c = line.charCodeAt(i);
    if (c === 46) {
      // Embedded IPv4 takes the place of the last two groups.
      if (!isIpv4At(line, groupStart, end)) return false;
      groups += 2;
      return compressed ? groups <= 7 : groups === 8;
    }
    if (c !== 58) return false;
    groups++;
    i++;
    if (i < end && line.charCodeAt(i) === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === end) return groups <= 7;
    } else if (i === end) return false; // trailing single colon
    if (groups > 8) return false;
  }
  return false;
}

/**
 * The canonical text of the IP literal at `line[start, end)`, or undefined when it is not one. IPv4 is returned as
 * written; IPv6 in lower case, and an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, written by dual-stack servers such
 * as nginx or vsftpd) as its dotted quad, so that one client is one key whichever socket it reached.
 */
export function readIp(line: string, start: number, end: number): string | undefined {
  if (isIpv4At(line, start, end)) return line.slice(start, end);
  if (!isIpv6At(line, start, end)) return undefined;
  let text = line.slice(start, end);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 70) {
      text = text.toLowerCase();
      break;
    }
  }
  if (text.startsWith('::ffff:') && text.indexOf('.', 7) !== -1) return text.slice(7);
  return text;
}

/** True when `line[start, end)` is an IPv4 or IPv6 literal (no allocation). */
export function isIpAt(line: string, start: number, end: number): boolean {
  return isIpv4At(line, start, end) || isIpv6At(line, start, end);
}

/** Convenience for tests and callers holding a whole string: true for a valid IPv4 or IPv6 literal. */
export function isIpLiteral(text: string): boolean {
  return isIpv4At(text, 0, text.length) || isIpv6At(text, 0, text.length);
}
