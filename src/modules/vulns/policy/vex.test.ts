import { describe, expect, it } from 'vitest';

import { NOT_AFFECTED_JUSTIFICATIONS, TRIAGE_STATES, type TriageState } from '../model.ts';
import { purlFor } from './purl.ts';
import { cycloneDxVexSchema, openVexSchema } from './vex.schema.ts';
import {
  toCycloneDxVex,
  toOpenVex,
  triageFromCycloneDx,
  triageFromOpenVex,
  vulnSource,
  type OpenVexStatement,
  type VexFinding,
} from './vex.ts';

const now = new Date('2026-04-01T10:00:00.000Z');
const SERIAL = '3e671687-395b-41f5-a30f-a58921a69b79';

function finding(over: Partial<VexFinding> = {}): VexFinding {
  return {
    id: 'f-1',
    assetName: 'web-01.example.net',
    ecosystem: 'Debian:12',
    package: 'openssl',
    installedVersion: '3.0.11-1~deb12u2',
    fixedVersion: '3.0.13-1~deb12u1',
    vuln: 'CVE-2024-0727',
    aliases: ['DSA-5641-1'],
    triage: 'in_triage',
    lifecycle: 'open',
    vendorStatus: 'fixed',
    cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', score: 5.5, version: '3.1' },
    updatedAt: '2026-03-30T09:00:00.000Z',
    firstDetectedAt: '2026-03-01T09:00:00Z',
    ...over,
  };
}

/** One finding per triage state, with what a person would have written. */
const perState: VexFinding[] = TRIAGE_STATES.map((triage, i) =>
  finding({
    id: `f-${triage}`,
    vuln: `CVE-2024-${1000 + i}`,
    triage,
    ...(triage === 'not_affected'
      ? { justification: 'vulnerable_code_not_in_execute_path' as const, detail: 'PKCS12 unused' }
      : {}),
    ...(triage === 'risk_accepted' ? { detail: 'accepted by alice until 2026-06-30' } : {}),
  }),
);

function statementFor(triage: TriageState, doc = toOpenVex(perState, { now, author: 'Example Hosting' })): OpenVexStatement {
  const s = doc.statements[TRIAGE_STATES.indexOf(triage)];
  if (!s) throw new Error(`no statement for ${triage}`);
  return s;
}

describe('purlFor', () => {
  it.each([
    ['Debian:12', 'openssl', '3.0.11-1~deb12u2', 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source&distro=debian-12'],
    ['Debian:12', 'dpkg', '1:1.21.22', 'pkg:deb/debian/dpkg@1:1.21.22?arch=source&distro=debian-12'],
    ['Ubuntu:22.04:LTS', 'curl', '7.81.0-1ubuntu1.15', 'pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15?arch=source&distro=ubuntu-22.04'],
    ['AlmaLinux:9', 'openssl', '1:3.0.7-27.el9', 'pkg:rpm/almalinux/openssl@3.0.7-27.el9?arch=src&distro=almalinux-9&epoch=1'],
    ['Rocky Linux:9', 'bash', '5.1.8-9.el9', 'pkg:rpm/rocky/bash@5.1.8-9.el9?arch=src&distro=rocky-9'],
    ['npm', '@babel/traverse', '7.22.5', 'pkg:npm/%40babel/traverse@7.22.5'],
    ['npm', 'lodash', '4.17.20', 'pkg:npm/lodash@4.17.20'],
    ['PyPI', 'Django_REST', '3.14.0', 'pkg:pypi/django-rest@3.14.0'],
    ['Packagist', 'laravel/framework', '10.0.0', 'pkg:composer/laravel/framework@10.0.0'],
    ['Go', 'golang.org/x/net', 'v0.17.0', 'pkg:golang/golang.org/x/net@v0.17.0'],
    ['crates.io', 'openssl', '0.10.55', 'pkg:cargo/openssl@0.10.55'],
    ['RubyGems', 'rack', '2.2.8', 'pkg:gem/rack@2.2.8'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'],
    ['SomethingNew', 'thing', '1.0', 'pkg:generic/thing@1.0'],
  ])('%s %s %s → %s', (ecosystem, name, version, purl) => {
    expect(purlFor(ecosystem, name, version)).toBe(purl);
  });

  it('never throws, even for a name the type rejects', () => {
    expect(purlFor('npm', '', '1.0')).toMatch(/^pkg:generic\//);
  });
});

describe('CycloneDX VEX', () => {
  it('is a valid CycloneDX 1.6 document with one vulnerability per finding', () => {
    const doc = toCycloneDxVex(perState, { now, serialNumber: SERIAL, toolVersion: '0.1.0' });
    const parsed = cycloneDxVexSchema.safeParse(doc);
    expect(parsed.error?.issues).toBeUndefined();
    expect(doc).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      serialNumber: `urn:uuid:${SERIAL}`,
      version: 1,
      metadata: { timestamp: '2026-04-01T10:00:00.000Z' },
    });
    expect(doc.vulnerabilities).toHaveLength(TRIAGE_STATES.length);
    // All six findings are the same package on the same asset: one component, referenced by all.
    expect(doc.components).toEqual([
      {
        type: 'library',
        'bom-ref': 'asset/web-01.example.net/pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source&distro=debian-12',
        name: 'openssl',
        version: '3.0.11-1~deb12u2',
        purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source&distro=debian-12',
        properties: [{ name: 'skjold:asset', value: 'web-01.example.net' }],
      },
    ]);
  });

  it('writes source, references, ratings, affects and analysis as the spec names them', () => {
    const doc = toCycloneDxVex([finding({ triage: 'exploitable' })], { now, serialNumber: SERIAL });
    expect(doc.vulnerabilities[0]).toEqual({
      'bom-ref': 'finding/f-1',
      id: 'CVE-2024-0727',
      source: { name: 'Debian', url: 'https://security-tracker.debian.org/tracker/CVE-2024-0727' },
      references: [
        { id: 'DSA-5641-1', source: { name: 'Debian', url: 'https://security-tracker.debian.org/tracker/DSA-5641-1' } },
      ],
      ratings: [{ score: 5.5, severity: 'medium', method: 'CVSSv31', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H' }],
      affects: [
        {
          ref: 'asset/web-01.example.net/pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source&distro=debian-12',
          versions: [{ version: '3.0.11-1~deb12u2', status: 'affected' }],
        },
      ],
      analysis: {
        state: 'exploitable',
        response: ['update'],
        firstIssued: '2026-03-01T09:00:00.000Z',
        lastUpdated: '2026-03-30T09:00:00.000Z',
      },
      properties: [{ name: 'skjold:triage', value: 'exploitable' }],
    });
  });

  it.each([
    ['in_triage', 'in_triage', undefined, 'affected'],
    ['exploitable', 'exploitable', ['update'], 'affected'],
    ['not_affected', 'not_affected', undefined, 'unaffected'],
    ['false_positive', 'false_positive', undefined, 'unaffected'],
    ['risk_accepted', 'exploitable', ['will_not_fix'], 'affected'],
    ['resolved', 'resolved', ['update'], 'unaffected'],
  ] as const)('maps triage %s to state %s', (triage, state, response, versionStatus) => {
    const doc = toCycloneDxVex(perState, { now, serialNumber: SERIAL });
    const v = doc.vulnerabilities[TRIAGE_STATES.indexOf(triage)] as {
      analysis: { state: string; response?: string[] };
      affects: { versions: { status: string }[] }[];
    };
    expect(v.analysis.state).toBe(state);
    if (triage !== 'in_triage') expect(v.analysis.response).toEqual(response);
    expect(v.affects[0]?.versions[0]?.status).toBe(versionStatus);
  });

  it('reads every triage state and justification back exactly', () => {
    const doc = toCycloneDxVex(perState, { now, serialNumber: SERIAL });
    const roundTrip = doc.vulnerabilities.map((v) => triageFromCycloneDx(v as Parameters<typeof triageFromCycloneDx>[0]));
    expect(roundTrip).toEqual(
      TRIAGE_STATES.map((triage) =>
        triage === 'not_affected' ? { triage, justification: 'vulnerable_code_not_in_execute_path' } : { triage },
      ),
    );
  });

  it.each([
    ['component_not_present', 'code_not_present'],
    ['vulnerable_code_not_present', 'code_not_present'],
    ['vulnerable_code_not_in_execute_path', 'code_not_reachable'],
    ['vulnerable_code_cannot_be_controlled_by_adversary', 'requires_environment'],
    ['inline_mitigations_already_exist', 'protected_by_mitigating_control'],
  ] as const)('maps justification %s to %s', (justification, cdx) => {
    const doc = toCycloneDxVex([finding({ triage: 'not_affected', justification })], { now, serialNumber: SERIAL });
    expect(doc.vulnerabilities[0]).toMatchObject({ analysis: { state: 'not_affected', justification: cdx } });
    expect(cycloneDxVexSchema.safeParse(doc).success).toBe(true);
  });

  it('reads a foreign CycloneDX analysis without Skjold properties by the table', () => {
    expect(triageFromCycloneDx({ analysis: { state: 'exploitable', response: ['will_not_fix'] } })).toEqual({
      triage: 'risk_accepted',
    });
    expect(triageFromCycloneDx({ analysis: { state: 'resolved_with_pedigree' } })).toEqual({ triage: 'resolved' });
    expect(triageFromCycloneDx({ analysis: { state: 'not_affected', justification: 'protected_at_perimeter' } })).toEqual({
      triage: 'not_affected',
      justification: 'inline_mitigations_already_exist',
    });
    expect(triageFromCycloneDx({ analysis: { state: 'made_up' } })).toBeNull();
    expect(triageFromCycloneDx({})).toBeNull();
  });

  it('treats a verified resolution as resolved whatever the triage, and a fix on disk as needing a restart', () => {
    const doc = toCycloneDxVex(
      [
        finding({ id: 'a', lifecycle: 'verified_resolved', installedVersion: '3.0.13-1~deb12u1' }),
        finding({ id: 'b', vuln: 'CVE-2024-0001', triage: 'exploitable', lifecycle: 'patched_on_disk' }),
      ],
      { now, serialNumber: SERIAL },
    );
    expect(doc.vulnerabilities[0]).toMatchObject({
      analysis: { state: 'resolved', detail: 'The fixed version was verified running.' },
      affects: [{ versions: [{ version: '3.0.13-1~deb12u1', status: 'unaffected' }] }],
    });
    expect(doc.vulnerabilities[1]).toMatchObject({
      analysis: { state: 'exploitable', response: ['update'], detail: expect.stringContaining('restart') as string },
    });
    expect(doc.components).toHaveLength(2);
    expect(cycloneDxVexSchema.safeParse(doc).success).toBe(true);
  });

  it('answers can_not_fix when the vendor has no fix', () => {
    const doc = toCycloneDxVex([finding({ triage: 'exploitable', vendorStatus: 'postponed', fixedVersion: undefined })], {
      now,
      serialNumber: SERIAL,
    });
    expect(doc.vulnerabilities[0]).toMatchObject({ analysis: { response: ['can_not_fix'] } });
  });

  it('is valid with no findings, and a random serial number by default', () => {
    const doc = toCycloneDxVex([], { now });
    expect(cycloneDxVexSchema.safeParse(doc).success).toBe(true);
    expect(doc.serialNumber).not.toBe(toCycloneDxVex([], { now }).serialNumber);
  });

  it('has a schema that catches what the spec forbids', () => {
    const doc = toCycloneDxVex([finding()], { now, serialNumber: SERIAL });
    const badState = JSON.parse(JSON.stringify(doc)) as { vulnerabilities: { analysis: { state: string } }[] };
    (badState.vulnerabilities[0] as { analysis: { state: string } }).analysis.state = 'affected';
    expect(cycloneDxVexSchema.safeParse(badState).success).toBe(false);
    const danglingRef = { ...doc, components: [] };
    expect(cycloneDxVexSchema.safeParse(danglingRef).error?.issues[0]?.message).toMatch(/^unknown ref asset\//);
    expect(cycloneDxVexSchema.safeParse({ ...doc, serialNumber: 'urn:uuid:nope' }).success).toBe(false);
  });
});

describe('OpenVEX', () => {
  it('is a valid OpenVEX v0.2.0 document', () => {
    const doc = toOpenVex(perState, { now, author: 'Example Hosting Security <security@example.net>', id: 'urn:uuid:' + SERIAL });
    const parsed = openVexSchema.safeParse(doc);
    expect(parsed.error?.issues).toBeUndefined();
    expect(doc).toMatchObject({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': `urn:uuid:${SERIAL}`,
      author: 'Example Hosting Security <security@example.net>',
      timestamp: '2026-04-01T10:00:00.000Z',
      version: 1,
    });
    expect(doc.statements).toHaveLength(TRIAGE_STATES.length);
  });

  it('names the product by the purl of the package on the asset', () => {
    expect(statementFor('exploitable')).toEqual({
      vulnerability: { name: 'CVE-2024-1001', aliases: ['DSA-5641-1'] },
      products: [{ '@id': 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=source&distro=debian-12' }],
      status: 'affected',
      action_statement: 'Update openssl to 3.0.13-1~deb12u1 or later.',
      status_notes: 'Asset web-01.example.net.',
      timestamp: '2026-03-30T09:00:00.000Z',
    });
  });

  it.each([
    ['in_triage', 'under_investigation'],
    ['exploitable', 'affected'],
    ['not_affected', 'not_affected'],
    ['false_positive', 'not_affected'],
    ['risk_accepted', 'affected'],
    ['resolved', 'fixed'],
  ] as const)('maps triage %s to status %s', (triage, status) => {
    expect(statementFor(triage).status).toBe(status);
  });

  it('gives not_affected exactly one of justification and impact statement', () => {
    expect(statementFor('not_affected')).toMatchObject({
      justification: 'vulnerable_code_not_in_execute_path',
      status_notes: 'Asset web-01.example.net. PKCS12 unused',
    });
    expect(statementFor('not_affected').impact_statement).toBeUndefined();
    const noJustification = toOpenVex([finding({ triage: 'not_affected', detail: 'built without the module' })], {
      now,
      author: 'x',
    });
    expect(noJustification.statements[0]).toMatchObject({ status: 'not_affected', impact_statement: 'built without the module' });
    expect(noJustification.statements[0]?.justification).toBeUndefined();
    expect(openVexSchema.safeParse(noJustification).success).toBe(true);
    expect(statementFor('false_positive')).toMatchObject({
      justification: 'vulnerable_code_not_present',
      status_notes: 'Asset web-01.example.net. False positive: the scanner reported this in error.',
    });
  });

  it('says what to do for a risk acceptance and a fix waiting for a restart', () => {
    expect(statementFor('risk_accepted').action_statement).toBe('Risk accepted. accepted by alice until 2026-06-30');
    const onDisk = toOpenVex([finding({ triage: 'exploitable', lifecycle: 'patched_on_disk' })], { now, author: 'x' });
    expect(onDisk.statements[0]?.action_statement).toMatch(/restart the affected services or reboot/);
  });

  it('reads triage back, with false_positive and risk_accepted collapsing as documented', () => {
    const back = toOpenVex(perState, { now, author: 'x' }).statements.map((s) => triageFromOpenVex(s)?.triage);
    expect(back).toEqual(
      TRIAGE_STATES.map((t) => (t === 'false_positive' ? 'not_affected' : t === 'risk_accepted' ? 'exploitable' : t)),
    );
    expect(triageFromOpenVex({ status: 'not_affected', justification: 'component_not_present' })).toEqual({
      triage: 'not_affected',
      justification: 'component_not_present',
    });
    expect(triageFromOpenVex({ status: 'unknown' })).toBeNull();
  });

  it('is valid for every justification', () => {
    const doc = toOpenVex(
      NOT_AFFECTED_JUSTIFICATIONS.map((justification, i) => finding({ id: String(i), triage: 'not_affected', justification })),
      { now, author: 'x' },
    );
    expect(openVexSchema.safeParse(doc).success).toBe(true);
  });

  it('refuses to write a document without statements', () => {
    expect(() => toOpenVex([], { now, author: 'x' })).toThrow(/at least one statement/);
  });

  it('has a schema that enforces the status rules', () => {
    const doc = toOpenVex([finding({ triage: 'exploitable' })], { now, author: 'x' });
    const noAction: Partial<OpenVexStatement> = { ...doc.statements[0] };
    delete noAction.action_statement;
    expect(openVexSchema.safeParse({ ...doc, statements: [noAction] }).error?.issues[0]?.message).toBe(
      'affected needs an action_statement',
    );
    const both = { ...noAction, status: 'not_affected', justification: 'component_not_present', impact_statement: 'x' };
    expect(openVexSchema.safeParse({ ...doc, statements: [both] }).success).toBe(false);
    expect(openVexSchema.safeParse({ ...doc, statements: [] }).success).toBe(false);
  });
});

describe('vulnSource', () => {
  it('points distro CVEs at the vendor tracker and others at their own database', () => {
    expect(vulnSource('CVE-2024-1', 'Ubuntu:22.04')).toEqual({ name: 'Ubuntu', url: 'https://ubuntu.com/security/CVE-2024-1' });
    expect(vulnSource('CVE-2024-1', 'npm')).toEqual({ name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-1' });
    expect(vulnSource('GHSA-abcd-efgh-ijkl')).toEqual({
      name: 'GitHub',
      url: 'https://github.com/advisories/GHSA-abcd-efgh-ijkl',
    });
    expect(vulnSource('PYSEC-2024-1')).toEqual({ name: 'OSV', url: 'https://osv.dev/vulnerability/PYSEC-2024-1' });
  });
});
