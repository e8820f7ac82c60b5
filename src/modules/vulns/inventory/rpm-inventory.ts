import type { Ecosystem, InventoryPackage } from '../model.ts';
import { MAX_INVENTORY_LINES } from './dpkg-inventory.ts';

/**
 * The `rpm -qa` query format the agent uses, one package a line. `EPOCHNUM` prints `0` where the package has no
 * epoch; `SOURCERPM` names the source package (`openssl-3.0.7-25.el9_3.src.rpm`), or `(none)` for the pseudo-packages
 * that carry imported signing keys (`gpg-pubkey`).
 */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';

export type RpmInventoryParse =
  { ok: true; packages: InventoryPackage[] } | { ok: false; line: number; text: string; reason: string };

const NAME = /^[A-Za-z0-9_+][A-Za-z0-9_+.-]*$/;
const VER = /^[A-Za-z0-9._+~^]+$/;
const ARCH = /^[A-Za-z0-9_]+$/;
const SRPM = /^([A-Za-z0-9_+][A-Za-z0-9_+.-]*)-([A-Za-z0-9._+~^]+)-([A-Za-z0-9._+~^]+)\.(?:no)?src\.rpm$/;

/** Split a source rpm file name (`openssl-3.0.7-25.el9_3.src.rpm`) into name and version-release; null if it is not one. */
export function parseSourceRpmName(file: string): { name: string; version: string; release: string } | null {
  const m = SRPM.exec(file);
  return m ? { name: m[1] as string, version: m[2] as string, release: m[3] as string } : null;
}

/**
 * Parse `rpm -qa --qf "$RPM_QUERY_FORMAT"` output into packages of `ecosystem` (`AlmaLinux:9`). Versions read
 * `[epoch:]version-release` (the epoch only when not 0, as OSV's RPM advisories write them); the source package and
 * its version-release come from the SRPM file name, with the binary's epoch. All or nothing: the first wrong line
 * rejects the upload with its number (counted from `firstLine`, for documents that embed the list) and text.
 */
export function parseRpmInventory(text: string, ecosystem: Ecosystem, firstLine = 1): RpmInventoryParse {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { ok: false, line: firstLine, text: '', reason: 'the rpm package list is empty' };
  if (lines.length > MAX_INVENTORY_LINES)
    return {
      ok: false,
      line: firstLine + MAX_INVENTORY_LINES,
      text: '',
      reason: `more than ${MAX_INVENTORY_LINES} package lines`,
    };
  const packages: InventoryPackage[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    const fail = (reason: string): RpmInventoryParse => ({ ok: false, line: firstLine + i, text: raw.slice(0, 300), reason });
    const f = raw.split('\t');
    if (f.length !== 6)
      return fail(`expected 6 tab-separated fields (NAME, EPOCHNUM, VERSION, RELEASE, ARCH, SOURCERPM), found ${f.length}`);
    const [name, epoch, version, release, arch, srpm] = f as [string, string, string, string, string, string];
    if (!NAME.test(name)) return fail(`not an rpm package name: "${name.slice(0, 80)}"`);
    if (!/^\d{1,10}$/.test(epoch)) return fail(`not an epoch number: "${epoch.slice(0, 80)}"`);
    if (!VER.test(version)) return fail(`not an rpm version: "${version.slice(0, 80)}"`);
    if (!VER.test(release)) return fail(`not an rpm release: "${release.slice(0, 80)}"`);
    if (arch !== '(none)' && !ARCH.test(arch)) return fail(`not an rpm architecture: "${arch.slice(0, 80)}"`);
    const e = /^0+$/.test(epoch) ? '' : `${epoch.replace(/^0+/, '')}:`;
    const evr = `${e}${version}-${release}`;
    let source = name;
    let sourceVersion = evr;
    if (srpm !== '(none)') {
      const s = parseSourceRpmName(srpm);
      if (!s) return fail(`not a source rpm file name (name-version-release.src.rpm): "${srpm.slice(0, 80)}"`);
      source = s.name;
      sourceVersion = `${e}${s.version}-${s.release}`;
    }
    packages.push({
      name,
      version: evr,
      source,
      sourceVersion,
      ecosystem,
      ...(arch === '(none)' ? {} : { arch }),
    });
  }
  return { ok: true, packages };
}
