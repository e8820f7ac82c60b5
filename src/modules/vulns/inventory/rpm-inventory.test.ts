import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_INVENTORY_LINES } from './dpkg-inventory.ts';
import { parseRpmInventory, RPM_QUERY_FORMAT } from './rpm-inventory.ts';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Lines as `rpm -qa --qf "$RPM_QUERY_FORMAT"` prints them on AlmaLinux 9. */
const ALMA = [
  'openssl-libs\t1\t3.0.7\t25.el9_3\tx86_64\topenssl-3.0.7-25.el9_3.src.rpm',
  'openssl\t1\t3.0.7\t25.el9_3\tx86_64\topenssl-3.0.7-25.el9_3.src.rpm',
  'bash\t0\t5.1.8\t6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm',
  'kernel-core\t0\t5.14.0\t362.24.1.el9_3\tx86_64\tkernel-5.14.0-362.24.1.el9_3.src.rpm',
  'tzdata\t0\t2024a\t1.el9\tnoarch\ttzdata-2024a-1.el9.src.rpm',
  'gpg-pubkey\t0\t3abb34f8\t5ffd890e\t(none)\t(none)',
  '',
].join('\n');

describe('rpm -qa inventories', () => {
  it('reads binary and source packages with epoch-version-release', () => {
    const r = parseRpmInventory(ALMA, 'AlmaLinux:9');
    if (!r.ok) throw new Error(r.reason);
    expect(r.packages).toHaveLength(6);
    expect(r.packages[0]).toEqual({
      name: 'openssl-libs',
      version: '1:3.0.7-25.el9_3',
      source: 'openssl',
      sourceVersion: '1:3.0.7-25.el9_3',
      ecosystem: 'AlmaLinux:9',
      arch: 'x86_64',
    });
    expect(r.packages[3]).toMatchObject({ name: 'kernel-core', version: '5.14.0-362.24.1.el9_3', source: 'kernel' });
    expect(r.packages[5]).toEqual({
      name: 'gpg-pubkey',
      version: '3abb34f8-5ffd890e',
      source: 'gpg-pubkey',
      sourceVersion: '3abb34f8-5ffd890e',
      ecosystem: 'AlmaLinux:9',
    });
  });

  it.skipIf(!has('rpmbuild') || !has('rpm'))('reads what a real rpm database answers to the query format', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skjold-rpm-'));
    try {
      writeFileSync(
        join(dir, 'demo.spec'),
        [
          'Name: skjold-demo',
          'Epoch: 2',
          'Version: 1.2.3',
          'Release: 4.el9_3',
          'Summary: demo',
          'License: MIT',
          'BuildArch: noarch',
          '%description',
          'demo',
          '%package -n skjold-demo-libs',
          'Summary: demo libs',
          '%description -n skjold-demo-libs',
          'libs',
          '%files',
          '%files -n skjold-demo-libs',
          '',
        ].join('\n'),
      );
      const defs = ['--define', `_topdir ${dir}/top`, '--define', `_dbpath ${dir}/db`];
      execFileSync('rpmbuild', ['-bb', ...defs, join(dir, 'demo.spec')], { stdio: 'ignore' });
      execFileSync('rpm', ['--dbpath', `${dir}/db`, '--initdb']);
      const rpms = readdirSync(join(dir, 'top/RPMS/noarch')).map((f) => join(dir, 'top/RPMS/noarch', f));
      execFileSync('rpm', ['--dbpath', `${dir}/db`, '-i', '--justdb', '--nodeps', '--noscripts', ...rpms], { stdio: 'ignore' });
      const out = execFileSync('rpm', ['--dbpath', `${dir}/db`, '-qa', '--qf', RPM_QUERY_FORMAT], {
        encoding: 'utf8',
      });
      const r = parseRpmInventory(out, 'Rocky Linux:9');
      if (!r.ok) throw new Error(`line ${r.line}: ${r.reason}: ${r.text}`);
      expect(r.packages.map((p) => [p.name, p.version, p.source, p.sourceVersion, p.arch]).sort()).toEqual([
        ['skjold-demo', '2:1.2.3-4.el9_3', 'skjold-demo', '2:1.2.3-4.el9_3', 'noarch'],
        ['skjold-demo-libs', '2:1.2.3-4.el9_3', 'skjold-demo', '2:1.2.3-4.el9_3', 'noarch'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects the whole list at the first wrong line, naming it and its line', () => {
    const good = 'bash\t0\t5.1.8\t6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm';
    const bad = (line: string) => parseRpmInventory(`${good}\n${good}\n${line}\n${good}\n`, 'AlmaLinux:9');
    expect(bad('bash 0 5.1.8')).toMatchObject({
      ok: false,
      line: 3,
      text: 'bash 0 5.1.8',
      reason: 'expected 6 tab-separated fields (NAME, EPOCHNUM, VERSION, RELEASE, ARCH, SOURCERPM), found 1',
    });
    expect(bad('b ash\t0\t1\t1\tx86_64\t(none)')).toMatchObject({ line: 3, reason: 'not an rpm package name: "b ash"' });
    expect(bad('bash\t(none)\t1\t1\tx86_64\t(none)')).toMatchObject({ line: 3, reason: 'not an epoch number: "(none)"' });
    expect(bad('bash\t0\t1-2\t1\tx86_64\t(none)')).toMatchObject({ line: 3, reason: 'not an rpm version: "1-2"' });
    expect(bad('bash\t0\t1\t\tx86_64\t(none)')).toMatchObject({ line: 3, reason: 'not an rpm release: ""' });
    expect(bad('bash\t0\t1\t1\tx86 64\t(none)')).toMatchObject({ line: 3, reason: 'not an rpm architecture: "x86 64"' });
    expect(bad('bash\t0\t1\t1\tx86_64\tbash.src.rpm')).toMatchObject({
      line: 3,
      reason: 'not a source rpm file name (name-version-release.src.rpm): "bash.src.rpm"',
    });
    expect(parseRpmInventory(`${good}\nbad`, 'AlmaLinux:9', 40)).toMatchObject({ ok: false, line: 41 });
  });

  it('refuses an empty list and one longer than the bound', () => {
    expect(parseRpmInventory('', 'AlmaLinux:9')).toMatchObject({ ok: false, reason: 'the rpm package list is empty' });
    const line = 'bash\t0\t5.1.8\t6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm\n';
    expect(parseRpmInventory(line.repeat(MAX_INVENTORY_LINES + 1), 'AlmaLinux:9')).toMatchObject({
      ok: false,
      line: MAX_INVENTORY_LINES + 1,
    });
    expect(parseRpmInventory(line.repeat(MAX_INVENTORY_LINES), 'AlmaLinux:9')).toMatchObject({ ok: true });
  });
});
