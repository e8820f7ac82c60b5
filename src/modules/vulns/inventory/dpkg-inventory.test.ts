import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseDpkgInventory, parseOsRelease } from './dpkg-inventory.ts';

const FORMAT = '${Package}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${Status}\\n';

describe('dpkg-query inventories', () => {
  it.skipIf(spawnSync('sh', ['-c', 'command -v dpkg-query']).status !== 0)(
    "reads this machine's own dpkg-query output whole, with source packages and versions",
    () => {
      const text = execFileSync('dpkg-query', ['-W', `-f=${FORMAT}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const r = parseDpkgInventory(text);
      if (!r.ok) throw new Error(`line ${r.line}: ${r.reason}: ${r.text}`);
      expect(r.packages.length).toBeGreaterThan(100);
      const libc = r.packages.find((p) => p.name.startsWith('libc6'));
      expect(libc?.source).toBe('glibc');
    },
  );

  it('keeps binNMU source versions apart and leaves out packages that are not installed', () => {
    const r = parseDpkgInventory(
      [
        'libssl3\t3.0.15-1~deb12u1\topenssl\t3.0.15-1~deb12u1\tinstall ok installed',
        'bash\t5.2.15-2+b2\tbash\t5.2.15-2\tinstall ok installed',
        'oldthing\t1.0-1\toldthing\t1.0-1\tdeinstall ok config-files',
        'libc6:i386\t2.36-9+deb12u4\tglibc\t2.36-9+deb12u4\tinstall ok installed',
        '',
      ].join('\n'),
    );
    expect(r).toEqual({
      ok: true,
      notInstalled: 1,
      packages: [
        { name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl', sourceVersion: '3.0.15-1~deb12u1' },
        { name: 'bash', version: '5.2.15-2+b2', source: 'bash', sourceVersion: '5.2.15-2' },
        { name: 'libc6:i386', version: '2.36-9+deb12u4', source: 'glibc', sourceVersion: '2.36-9+deb12u4' },
      ],
    });
  });

  it('rejects the whole upload at the first wrong line, naming it', () => {
    const good = 'bash\t5.2.15-2\tbash\t5.2.15-2\tinstall ok installed';
    expect(parseDpkgInventory(`${good}\nlibssl3 3.0.15-1 openssl\n`)).toMatchObject({ ok: false, line: 2 });
    expect(parseDpkgInventory(`${good}\nfoo\tnot a version\tfoo\t1.0\tinstall ok installed`)).toMatchObject({
      ok: false,
      line: 2,
      reason: 'not a Debian version: "not a version"',
    });
    expect(parseDpkgInventory(`${good}\nFOO\t1.0\tfoo\t1.0\tinstall ok installed`)).toMatchObject({ ok: false, line: 2 });
    expect(parseDpkgInventory('')).toMatchObject({ ok: false, reason: 'the inventory is empty' });
    expect(parseDpkgInventory('\u0000\u0001garbage')).toMatchObject({ ok: false, line: 1 });
  });
});

describe('/etc/os-release', () => {
  it('reads quoted and unquoted values and ignores the rest', () => {
    const r = parseOsRelease(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n# comment\nbad line\n',
    );
    expect(r).toEqual({
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      NAME: 'Debian GNU/Linux',
      VERSION_ID: '12',
      VERSION_CODENAME: 'bookworm',
      ID: 'debian',
    });
  });
});
