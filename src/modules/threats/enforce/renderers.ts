import {
  type BanEntry,
  type BanNetwork,
  collapse,
  formatSegment,
  type Segment,
  toIntervals,
  toNetworks,
} from './ban-intervals.ts';

export type { BanEntry } from './ban-intervals.ts';

/** The firewall formats Skjold renders its active bans in (`?format=` of the blocklist endpoint). */
export const BLOCKLIST_FORMATS = ['nftables', 'ipset', 'plain', 'nginx-geo'] as const;
export type BlocklistFormat = (typeof BLOCKLIST_FORMATS)[number];

/** Largest per-element timeout the kernel's ipset accepts (seconds, about 24.8 days); longer bans are cut to it. */
export const IPSET_MAX_TIMEOUT = 2_147_483;

/** Elements per `add element` command: keeps each line a few hundred KiB while the file stays one transaction. */
const NFT_CHUNK = 1000;

// Names end up in shell-free files that are still run as root: letters, digits, `_` and `-` only, never quoted.
const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,30}$/;
const NGINX_VAR_RE = /^\$[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function checkName(what: string, name: string, max = 31): void {
  if (!NAME_RE.test(name) || name.length > max) throw new Error(`invalid ${what} name: ${JSON.stringify(name.slice(0, 40))}`);
}

const secondsLeft = (until: number, now: number): number => Math.max(1, Math.ceil((until - now) / 1000));

export interface NftablesOptions {
  table?: string;
  family?: 'inet' | 'ip' | 'ip6' | 'bridge' | 'netdev';
  setV4?: string;
  setV6?: string;
  /** Epoch ms the remaining timeouts are counted from. */
  now: number;
}

/**
 * One `nft -f` file that (re)declares the table and its two interval sets with timeouts, empties them and adds every
 * active ban with its remaining time. nft applies a file as one transaction: the sets never stand empty or half
 * filled, and a file that fails changes nothing. Overlaps are folded first (`collapse`): an interval set refuses
 * overlapping elements. Rules stay the operator's: `ip saddr @skjold_v4 drop` and `ip6 saddr @skjold_v6 drop` in a
 * chain of their own (the file never touches chains, so a reload cannot drop a rule).
 */
export function renderNftables(entries: readonly BanEntry[], opts: NftablesOptions): string {
  const table = opts.table ?? 'skjold';
  const family = opts.family ?? 'inet';
  const setV4 = opts.setV4 ?? 'skjold_v4';
  const setV6 = opts.setV6 ?? 'skjold_v6';
  checkName('table', table);
  checkName('set', setV4);
  checkName('set', setV6);
  const { v4, v6, skipped } = toIntervals(entries, opts.now);
  // ip/ip6 tables can hold only their own family's set.
  const withV4 = family !== 'ip6';
  const withV6 = family !== 'ip';
  const s4 = withV4 ? collapse(v4) : [];
  const s6 = withV6 ? collapse(v6) : [];
  const lines: string[] = [
    '#!/usr/sbin/nft -f',
    `# Skjold blocklist at ${new Date(opts.now).toISOString()}: ${s4.length} IPv4 and ${s6.length} IPv6 elements` +
      (skipped ? `, ${skipped} invalid or expired values skipped` : ''),
    '# Applied atomically by `nft -f FILE`; match with `ip saddr @' + setV4 + ' drop` / `ip6 saddr @' + setV6 + ' drop`.',
    `table ${family} ${table} {`,
  ];
  if (withV4) lines.push(`\tset ${setV4} {`, '\t\ttype ipv4_addr', '\t\tflags interval, timeout', '\t}');
  if (withV6) lines.push(`\tset ${setV6} {`, '\t\ttype ipv6_addr', '\t\tflags interval, timeout', '\t}');
  lines.push('}');
  const addSet = (set: string, fam: 4 | 6, segs: Segment[]) => {
    lines.push(`flush set ${family} ${table} ${set}`);
    for (let i = 0; i < segs.length; i += NFT_CHUNK) {
      let line = `add element ${family} ${table} ${set} { `;
      const end = Math.min(segs.length, i + NFT_CHUNK);
      for (let j = i; j < end; j++) {
        const s = segs[j] as Segment;
        line += `${j > i ? ', ' : ''}${formatSegment(fam, s)} timeout ${secondsLeft(s.until, opts.now)}s`;
      }
      lines.push(`${line} }`);
    }
  };
  if (withV4) addSet(setV4, 4, s4);
  if (withV6) addSet(setV6, 6, s6);
  return `${lines.join('\n')}\n`;
}

export interface IpsetOptions {
  /** The IPv4 set's name; the IPv6 set is `<name>-v6` (ipset names are at most 31 characters). */
  name?: string;
  /** Each set's capacity (default 1,048,576; raised to the next power of two when the entries outgrow it). */
  maxelem?: number;
  now: number;
}

/**
 * An `ipset restore` file that fills a fresh temporary set per family and swaps it in place of the live one, so a
 * reload is atomic per set and a failure leaves the live set as it was. Each set is created with an explicit
 * `maxelem` (default 1,048,576: fail2ban's sets fill at the default 65,536) and with `timeout` support, so bans also
 * end on time between reloads. Nested networks are kept (`hash:net` matches the most specific); exact duplicates
 * keep the longest ban.
 *
 * The set parameters depend only on the options, never on the number of entries: `create … -exist` fails when an
 * existing set was made with other parameters, and the live set carries the previous file's parameters after `swap`.
 * Only when the entries outgrow `maxelem` is it raised (to the next power of two), and the operator then destroys
 * the old sets once (the restore stops at its first line, leaving them untouched).
 */
export function renderIpsetRestore(entries: readonly BanEntry[], opts: IpsetOptions): string {
  const name = opts.name ?? 'skjold';
  checkName('ipset', name, 24);
  const { v4, v6 } = toNetworks(entries, opts.now);
  const lines: string[] = [`# Skjold blocklist at ${new Date(opts.now).toISOString()}: apply with \`ipset restore < FILE\``];
  const one = (set: string, family: 'inet' | 'inet6', list: BanNetwork[]) => {
    let maxelem = opts.maxelem ?? 1_048_576;
    if (!Number.isInteger(maxelem) || maxelem < 1) throw new Error(`invalid maxelem: ${maxelem}`);
    if (list.length > maxelem) {
      while (maxelem < list.length) maxelem *= 2;
      lines.push(`# ${list.length} entries exceed the maxelem asked for: raised to ${maxelem}`);
    }
    const params = `hash:net family ${family} hashsize ${hashsizeFor(maxelem)} maxelem ${maxelem} timeout 0`;
    const tmp = `${set}-tmp`;
    // The live set must exist for `swap`; `-exist` leaves an existing one (and its contents) alone.
    lines.push(`create ${set} ${params} -exist`);
    lines.push(`create ${tmp} ${params} -exist`, `flush ${tmp}`);
    for (const i of list) {
      // hash:net cannot hold a /0; such a value is refused upstream, but a file must never fail on one row.
      if (i.prefix === 0) continue;
      lines.push(`add ${tmp} ${i.text} timeout ${Math.min(IPSET_MAX_TIMEOUT, secondsLeft(i.until, opts.now))}`);
    }
    lines.push(`swap ${tmp} ${set}`, `destroy ${tmp}`);
  };
  one(name, 'inet', v4);
  one(`${name}-v6`, 'inet6', v6);
  return `${lines.join('\n')}\n`;
}

/** Initial buckets: maxelem / 64 as a power of two within 1,024–65,536 (the set grows its hash as it fills). */
function hashsizeFor(maxelem: number): number {
  let h = 1024;
  while (h < maxelem / 64 && h < 65_536) h *= 2;
  return h;
}

/**
 * One address or network per line (canonical text, exact duplicates once), for anything that reads a list:
 * `ipset`-less scripts, MikroTik/pfSense URL tables, a web server's deny file. Expired and invalid values are left out.
 */
export function renderPlain(entries: readonly BanEntry[], opts: { now: number }): string {
  const { v4, v6 } = toNetworks(entries, opts.now);
  let out = '';
  for (const i of v4) out += `${i.text}\n`;
  for (const i of v6) out += `${i.text}\n`;
  return out;
}

/**
 * An nginx `geo` block setting a variable to 1 for banned clients and 0 otherwise, to `include` in the `http`
 * context and test with `if ($skjold_banned) { return 403; }`. Nested networks are fine in `geo` (the most specific
 * wins); duplicates are written once (nginx warns on them).
 */
export function renderNginxGeo(entries: readonly BanEntry[], opts: { variable?: string; now: number }): string {
  const variable = opts.variable ?? '$skjold_banned';
  if (!NGINX_VAR_RE.test(variable)) throw new Error(`invalid nginx variable name: ${JSON.stringify(variable.slice(0, 70))}`);
  const { v4, v6 } = toNetworks(entries, opts.now);
  let out = `# Skjold blocklist at ${new Date(opts.now).toISOString()}\ngeo ${variable} {\n\tdefault 0;\n`;
  for (const i of v4) out += `\t${i.text} 1;\n`;
  for (const i of v6) out += `\t${i.text} 1;\n`;
  return `${out}}\n`;
}

/** Render active bans in one of the blocklist formats with default names. */
export function renderBlocklist(format: BlocklistFormat, entries: readonly BanEntry[], now: number): string {
  switch (format) {
    case 'nftables':
      return renderNftables(entries, { now });
    case 'ipset':
      return renderIpsetRestore(entries, { now });
    case 'plain':
      return renderPlain(entries, { now });
    case 'nginx-geo':
      return renderNginxGeo(entries, { now });
  }
}
