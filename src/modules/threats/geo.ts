import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { overlapsBogon } from './intel/bogons.ts';
import { parseIPv4, parseIPv6 } from './intel/ip-address.ts';

/** Country (ISO 3166 alpha-2) and autonomous system of an address, from the offline database. */
export interface GeoInfo {
  country: string | null;
  asn: number | null;
  asName: string | null;
}

interface Table {
  /** IPv4: uint32 bounds. */
  v4Start: Uint32Array;
  v4End: Uint32Array;
  v4Val: Uint32Array;
  /** IPv6: the high 64 bits of the bounds (assignments are /64 or broader). */
  v6Start: BigUint64Array;
  v6End: BigUint64Array;
  v6Val: Uint32Array;
}

const require = createRequire(import.meta.url);
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** One CSV field list of `start,end,value[,name]` where the name may be quoted with embedded commas. */
function fields(line: string): [string, string, string, string] | null {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  if (a < 0 || b < 0) return null;
  const c = line.indexOf(',', b + 1);
  const third = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  let rest = c < 0 ? '' : line.slice(c + 1);
  if (rest.startsWith('"')) rest = rest.slice(1, rest.endsWith('"') ? -1 : undefined).replaceAll('""', '"');
  return [line.slice(0, a), line.slice(a + 1, b), third, rest];
}

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

async function loadTable(v4File: string, v6File: string, value: (v: string, name: string) => number): Promise<Table> {
  const v4Lines = (await readFile(v4File, 'latin1')).split('\n');
  const v4Start = new Uint32Array(v4Lines.length);
  const v4End = new Uint32Array(v4Lines.length);
  const v4Val = new Uint32Array(v4Lines.length);
  let n = 0;
  for (let i = 0; i < v4Lines.length; i++) {
    if (i % 50_000 === 0) await yieldLoop();
    const f = fields(v4Lines[i] as string);
    if (!f) continue;
    v4Start[n] = Number(f[0]);
    v4End[n] = Number(f[1]);
    v4Val[n] = value(f[2], f[3]);
    n++;
  }
  const v6Lines = (await readFile(v6File, 'latin1')).split('\n');
  const v6Start = new BigUint64Array(v6Lines.length);
  const v6End = new BigUint64Array(v6Lines.length);
  const v6Val = new Uint32Array(v6Lines.length);
  let m = 0;
  for (let i = 0; i < v6Lines.length; i++) {
    if (i % 20_000 === 0) await yieldLoop();
    const f = fields(v6Lines[i] as string);
    if (!f) continue;
    try {
      v6Start[m] = BigInt(f[0]) >> 64n;
      v6End[m] = BigInt(f[1]) >> 64n;
    } catch {
      continue;
    }
    v6Val[m] = value(f[2], f[3]);
    m++;
  }
  return {
    v4Start: v4Start.subarray(0, n),
    v4End: v4End.subarray(0, n),
    v4Val: v4Val.subarray(0, n),
    v6Start: v6Start.subarray(0, m),
    v6End: v6End.subarray(0, m),
    v6Val: v6Val.subarray(0, m),
  };
}

function find<T extends Uint32Array | BigUint64Array>(starts: T, ends: T, key: T[number]): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((starts[mid] as T[number]) <= key) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && key <= (ends[hi] as T[number]) ? hi : -1;
}

/**
 * Country and AS lookups from the offline databases shipped as npm packages (`@ip-location-db/geo-whois-asn-country`,
 * CC0; `@ip-location-db/asn`, CC BY 4.0 — attribution: DB-IP.com and RouteViews). Loaded on first use, in slices so
 * the event loop keeps answering; never reaches the network.
 */
export class GeoLookup {
  private loading: Promise<void> | undefined;
  private country: Table | undefined;
  private asn: Table | undefined;
  private readonly countryCodes: string[] = [];
  private readonly asNames: string[] = [];
  private readonly asNameIndex = new Map<string, number>();
  private readonly codeIndex = new Map<string, number>();

  /** Load both databases (idempotent). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      const c = pkgDir('@ip-location-db/geo-whois-asn-country');
      this.country = await loadTable(
        join(c, 'geo-whois-asn-country-ipv4-num.csv'),
        join(c, 'geo-whois-asn-country-ipv6-num.csv'),
        (code) => {
          let i = this.codeIndex.get(code);
          if (i === undefined) {
            i = this.countryCodes.push(code) - 1;
            this.codeIndex.set(code, i);
          }
          return i;
        },
      );
      const a = pkgDir('@ip-location-db/asn');
      this.asn = await loadTable(join(a, 'asn-ipv4-num.csv'), join(a, 'asn-ipv6-num.csv'), (asn, name) => {
        let i = this.asNameIndex.get(name);
        if (i === undefined) {
          i = this.asNames.push(name) - 1;
          this.asNameIndex.set(name, i);
        }
        // AS numbers fit in 32 bits; the name index is kept beside them.
        this.asNameOf.set(Number(asn), i);
        return Number(asn);
      });
    })();
    return this.loading;
  }

  private readonly asNameOf = new Map<number, number>();

  /** Country and AS of `ip`, or null when the address is not public or not in the databases. */
  async lookup(ip: string): Promise<GeoInfo | null> {
    // Private, documentation and other special ranges belong to no country, whatever a registry's block says.
    if (typeof ip !== 'string' || ip.length > 64 || overlapsBogon(ip) !== null) return null;
    await this.load();
    const c = this.country as Table;
    const a = this.asn as Table;
    let ci = -1;
    let ai = -1;
    let cv: Uint32Array;
    let av: Uint32Array;
    const v4 = parseIPv4(ip);
    if (v4 >= 0) {
      ci = find(c.v4Start, c.v4End, v4);
      ai = find(a.v4Start, a.v4End, v4);
      cv = c.v4Val;
      av = a.v4Val;
    } else {
      const w = parseIPv6(ip);
      if (!w) return null;
      const hi = (BigInt(w[0]) << 32n) | BigInt(w[1]);
      ci = find(c.v6Start, c.v6End, hi);
      ai = find(a.v6Start, a.v6End, hi);
      cv = c.v6Val;
      av = a.v6Val;
    }
    if (ci < 0 && ai < 0) return null;
    const asn = ai >= 0 ? (av[ai] as number) : null;
    const nameIdx = asn === null ? undefined : this.asNameOf.get(asn);
    return {
      country: ci >= 0 ? (this.countryCodes[cv[ci] as number] ?? null) : null,
      asn,
      asName: nameIdx === undefined ? null : (this.asNames[nameIdx] ?? null),
    };
  }
}
