import { parseDpkgVersion } from '../versions/dpkg-version.ts';

/**
 * One installed Debian package, as a host's agent reports it with
 * `dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Status}\n'`.
 */
export interface DpkgPackage {
  /** Binary package name (`libssl3`); may carry `:arch` for multi-arch (`libc6:i386`). */
  name: string;
  version: string;
  /** Source package name (`openssl`): what Debian's security tracker is keyed by. */
  source: string;
  /** Source version (differs from `version` for binNMUs such as `+b1`). */
  sourceVersion: string;
}

export type InventoryParse =
  { ok: true; packages: DpkgPackage[]; notInstalled: number } | { ok: false; line: number; text: string; reason: string };

/** Lines in one upload, at most (a large server has a few thousand packages). */
export const MAX_INVENTORY_LINES = 100_000;
const NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/;

/**
 * Parse a dpkg-query inventory. All or nothing: the first wrong line rejects the upload with its number and text (the
 * previous snapshot stays in force), so a truncated or garbled upload can never pass for "packages were removed".
 * Packages not fully installed (`deinstall ok config-files`, half-configured) are counted and left out.
 */
export function parseDpkgInventory(text: string): InventoryParse {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { ok: false, line: 0, text: '', reason: 'the inventory is empty' };
  if (lines.length > MAX_INVENTORY_LINES)
    return { ok: false, line: MAX_INVENTORY_LINES + 1, text: '', reason: `more than ${MAX_INVENTORY_LINES} lines` };
  const packages: DpkgPackage[] = [];
  let notInstalled = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    const fail = (reason: string): InventoryParse => ({ ok: false, line: i + 1, text: raw.slice(0, 300), reason });
    const f = raw.split('\t');
    if (f.length !== 5)
      return fail(
        `expected 5 tab-separated fields (Package, Version, source:Package, source:Version, Status), found ${f.length}`,
      );
    const [name, version, source, sourceVersion, status] = f as [string, string, string, string, string];
    if (!NAME.test(name)) return fail(`not a package name: "${name.slice(0, 80)}"`);
    if (!NAME.test(source)) return fail(`not a source package name: "${source.slice(0, 80)}"`);
    const st = status.split(' ');
    if (st.length !== 3) return fail(`not a dpkg status ("want flag state"): "${status.slice(0, 80)}"`);
    if (st[2] !== 'installed') {
      notInstalled++;
      continue;
    }
    if (parseDpkgVersion(version) === null) return fail(`not a Debian version: "${version.slice(0, 80)}"`);
    if (parseDpkgVersion(sourceVersion) === null) return fail(`not a Debian source version: "${sourceVersion.slice(0, 80)}"`);
    packages.push({ name, version, source, sourceVersion });
  }
  return { ok: true, packages, notInstalled };
}

/** `/etc/os-release` as key → value (quotes removed); unknown or malformed lines are ignored, as systemd does. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').slice(0, 200)) {
    const m = /^([A-Z0-9_]{1,64})=(.{0,512})$/.exec(line.trim());
    if (!m) continue;
    let v = m[2] as string;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1] as string] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}
