import { PackageURL } from 'packageurl-js';
import type { Ecosystem, Inventory, InventoryPackage } from '../model.ts';
import { releaseEcosystem } from '../advisories/debian-tracker.ts';
import { parseSourceRpmName } from './rpm-inventory.ts';

/**
 * CycloneDX (1.2–1.6) and SPDX (2.2, 2.3) JSON SBOMs for services and applications (issue 5 item 1). Each component
 * is placed in an advisory ecosystem by its package URL (purl); a component that cannot be placed (no purl, a
 * malformed one, a type no advisory feed covers, a Debian package without its release) is listed in `skipped` with
 * the reason, never dropped silently. A document that is neither format, or whose structure is wrong, is refused
 * whole with the JSON path that is wrong.
 */

/** Components (CycloneDX, nested ones included) or packages (SPDX) in one SBOM, at most. */
export const MAX_SBOM_COMPONENTS = 200_000;

export interface SbomSkip {
  /** JSON path of the component in the document (`components[3].components[0]`, `packages[12]`). */
  ref: string;
  /** Its `bom-ref` (CycloneDX) or `SPDXID` (SPDX), when it has one. */
  id?: string | undefined;
  name?: string | undefined;
  reason: string;
}

export type SbomParse = { ok: true; inventory: Inventory; skipped: SbomSkip[] } | { ok: false; reason: string };

class SbomError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** purl types whose ecosystem is the purl type alone; the name is `namespace/name` where the ecosystem uses that. */
const APP_TYPES: Record<string, { ecosystem: Ecosystem; name: (p: PackageURL) => string }> = {
  npm: { ecosystem: 'npm', name: (p) => (p.namespace ? `${p.namespace}/${p.name}` : p.name) },
  pypi: { ecosystem: 'PyPI', name: (p) => p.name },
  composer: { ecosystem: 'Packagist', name: (p) => (p.namespace ? `${p.namespace}/${p.name}` : p.name) },
  golang: { ecosystem: 'Go', name: (p) => (p.namespace ? `${p.namespace}/${p.name}` : p.name) },
  cargo: { ecosystem: 'crates.io', name: (p) => p.name },
  gem: { ecosystem: 'RubyGems', name: (p) => p.name },
  maven: { ecosystem: 'Maven', name: (p) => (p.namespace ? `${p.namespace}:${p.name}` : p.name) },
  nuget: { ecosystem: 'NuGet', name: (p) => p.name },
  hex: { ecosystem: 'Hex', name: (p) => p.name },
  pub: { ecosystem: 'Pub', name: (p) => p.name },
};

const RPM_DISTROS: Record<string, string> = { almalinux: 'AlmaLinux', rocky: 'Rocky Linux' };

type Placed = { ok: true; ecosystem: Ecosystem } | { ok: false; reason: string };

/** `debian-12`, `debian-12.5`, `bookworm` → `Debian:12`; `ubuntu-22.04` → `Ubuntu:22.04`. */
function debEcosystem(namespace: string | undefined, distro: string | undefined): Placed {
  if (distro === undefined)
    return { ok: false, reason: 'a deb purl without a distro qualifier: the Debian or Ubuntu release is unknown' };
  const d = distro.toLowerCase();
  const byCodename = releaseEcosystem(d);
  if (byCodename !== undefined) return { ok: true, ecosystem: byCodename };
  const m = /^(debian|ubuntu)-(\d+)(?:\.(\d+))?/.exec(d);
  if (!m) return { ok: false, reason: `unknown deb distro qualifier "${distro.slice(0, 40)}" (want debian-12 or ubuntu-22.04)` };
  if (namespace !== undefined && namespace.toLowerCase() !== m[1])
    return { ok: false, reason: `deb purl namespace "${namespace}" disagrees with its distro "${distro.slice(0, 40)}"` };
  const ecosystem = m[1] === 'debian' ? `Debian:${m[2]}` : `Ubuntu:${m[2]}${m[3] === undefined ? '' : `.${m[3]}`}`;
  return { ok: true, ecosystem };
}

/** `almalinux-9.3` → `AlmaLinux:9`, `rocky-9` → `Rocky Linux:9`. */
function rpmEcosystem(distro: string | undefined): Placed {
  if (distro === undefined) return { ok: false, reason: 'an rpm purl without a distro qualifier: the release is unknown' };
  const m = /^([a-z]+)-(\d+)/.exec(distro.toLowerCase());
  const family = m ? RPM_DISTROS[m[1] as string] : undefined;
  if (!m || family === undefined) return { ok: false, reason: `rpm distro "${distro.slice(0, 40)}" has no advisory ecosystem` };
  return { ok: true, ecosystem: `${family}:${m[2]}` };
}

/** One purl → a package, or the reason it cannot be matched. */
function fromPurl(purl: string, fallbackVersion: string | undefined): InventoryPackage | string {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch (e) {
    return `malformed purl: ${(e as Error).message.slice(0, 200)}`;
  }
  const q = p.qualifiers ?? {};
  const version = p.version ?? fallbackVersion;
  if (version === undefined) return 'no version in the purl or the component';
  const arch = q['arch'];
  const app = APP_TYPES[p.type];
  if (app !== undefined) {
    const name = app.name(p);
    return { name, version, source: name, sourceVersion: version, ecosystem: app.ecosystem, purl };
  }
  if (p.type === 'deb') {
    const placed = debEcosystem(p.namespace ?? undefined, q['distro']);
    if (!placed.ok) return placed.reason;
    const ecosystem = placed.ecosystem;
    // Syft writes `upstream=openssl` or `upstream=glibc@2.36-9` when the source differs from the binary.
    const up = q['upstream'] ?? q['source'];
    const at = up?.indexOf('@') ?? -1;
    const source = up === undefined ? p.name : at >= 0 ? up.slice(0, at) : up;
    const sourceVersion = up !== undefined && at >= 0 ? up.slice(at + 1) : version;
    return { name: p.name, version, source, sourceVersion, ecosystem, arch, purl };
  }
  if (p.type === 'rpm') {
    const placed = rpmEcosystem(q['distro']);
    if (!placed.ok) return placed.reason;
    const ecosystem = placed.ecosystem;
    const epoch = q['epoch'] !== undefined && !/^0*$/.test(q['epoch']) ? `${q['epoch']}:` : '';
    const srpm = q['upstream'] !== undefined ? parseSourceRpmName(q['upstream']) : null;
    return {
      name: p.name,
      version: `${epoch}${version}`,
      source: srpm?.name ?? p.name,
      sourceVersion: srpm ? `${epoch}${srpm.version}-${srpm.release}` : `${epoch}${version}`,
      ecosystem,
      arch,
      purl,
    };
  }
  return `purl type "${p.type.slice(0, 40)}" has no advisory ecosystem`;
}

interface Walk {
  packages: InventoryPackage[];
  skipped: SbomSkip[];
  seen: number;
}

function take(w: Walk, ref: string, id: string | undefined, name: string | undefined, purl: unknown, version: unknown): void {
  if (++w.seen > MAX_SBOM_COMPONENTS) throw new SbomError(`more than ${MAX_SBOM_COMPONENTS} components`);
  let placed: InventoryPackage | string;
  if (purl === undefined) placed = 'no purl: the component cannot be placed in an advisory ecosystem';
  else if (typeof purl !== 'string') throw new SbomError(`${ref}: purl is not a string`);
  else placed = fromPurl(purl, str(version));
  if (typeof placed === 'string') w.skipped.push({ ref, ...(id ? { id } : {}), ...(name ? { name } : {}), reason: placed });
  else w.packages.push(placed);
}

function cycloneDx(doc: Record<string, unknown>): SbomParse {
  const spec = doc['specVersion'];
  if (typeof spec !== 'string' || !/^1\.[2-6]$/.test(spec))
    throw new SbomError(`CycloneDX specVersion ${JSON.stringify(spec)?.slice(0, 20)} is not supported (1.2 to 1.6)`);
  const meta = doc['metadata'];
  const subject = isObject(meta) && isObject(meta['component']) ? str(meta['component']['name']) : undefined;
  const w: Walk = { packages: [], skipped: [], seen: 0 };
  // An explicit stack: nesting depth is the document's choice, not the call stack's.
  const stack: { list: unknown; path: string }[] = [{ list: doc['components'] ?? [], path: 'components' }];
  while (stack.length > 0) {
    const { list, path } = stack.pop() as { list: unknown; path: string };
    if (!Array.isArray(list)) throw new SbomError(`${path} is not an array`);
    const nested: { list: unknown; path: string }[] = [];
    for (let i = 0; i < list.length; i++) {
      const c: unknown = list[i];
      const ref = `${path}[${i}]`;
      if (!isObject(c)) throw new SbomError(`${ref} is not an object`);
      take(w, ref, str(c['bom-ref']), str(c['name']), c['purl'], c['version']);
      if (c['components'] !== undefined) nested.push({ list: c['components'], path: `${ref}.components` });
    }
    stack.push(...nested.reverse());
  }
  return { ok: true, inventory: { format: 'cyclonedx', hostname: subject, packages: w.packages }, skipped: w.skipped };
}

function spdx(doc: Record<string, unknown>): SbomParse {
  const version = doc['spdxVersion'] as string;
  if (!/^SPDX-2\.[23]$/.test(version)) throw new SbomError(`${version.slice(0, 20)} is not supported (SPDX-2.2 or SPDX-2.3)`);
  const list = doc['packages'] ?? [];
  if (!Array.isArray(list)) throw new SbomError('packages is not an array');
  const w: Walk = { packages: [], skipped: [], seen: 0 };
  for (let i = 0; i < list.length; i++) {
    const p: unknown = list[i];
    const ref = `packages[${i}]`;
    if (!isObject(p)) throw new SbomError(`${ref} is not an object`);
    const refs = p['externalRefs'] ?? [];
    if (!Array.isArray(refs)) throw new SbomError(`${ref}.externalRefs is not an array`);
    const purlRef = refs.find(
      (r): r is Record<string, unknown> =>
        isObject(r) &&
        r['referenceType'] === 'purl' &&
        (r['referenceCategory'] === 'PACKAGE-MANAGER' || r['referenceCategory'] === 'PACKAGE_MANAGER'),
    );
    take(w, ref, str(p['SPDXID']), str(p['name']), purlRef?.['referenceLocator'], p['versionInfo']);
  }
  return { ok: true, inventory: { format: 'spdx', hostname: str(doc['name']), packages: w.packages }, skipped: w.skipped };
}

/**
 * Read a CycloneDX or SPDX JSON SBOM (text; the caller bounds its size) into an inventory of its components, with
 * the components that could not be placed listed in `skipped`. Never throws.
 */
export function parseSbom(text: string): SbomParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message.slice(0, 200)}` };
  }
  try {
    if (isObject(doc) && doc['bomFormat'] === 'CycloneDX') return cycloneDx(doc);
    if (isObject(doc) && typeof doc['spdxVersion'] === 'string') return spdx(doc);
  } catch (e) {
    if (e instanceof SbomError) return { ok: false, reason: e.message };
    throw e;
  }
  return {
    ok: false,
    reason: 'neither a CycloneDX JSON SBOM (bomFormat "CycloneDX") nor an SPDX JSON SBOM (spdxVersion "SPDX-2.x")',
  };
}
