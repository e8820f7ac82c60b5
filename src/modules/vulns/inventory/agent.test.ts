import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRpmInventory } from './rpm-inventory.ts';
import { parseInventoryUpload } from './upload.ts';

/**
 * The host agent, run for real: under dash, on this machine's own dpkg-query and os-release, posting over HTTPS to
 * a server on loopback that trusts nothing but a certificate made for the test.
 */

const SCRIPT = resolve(import.meta.dirname, '../../../../agent/skjold-vulns-agent.sh');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const debian = has('dpkg-query') && has('dash');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the agent with only the environment given (no SKJOLD_* leaking in from the test runner). */
function runAgent(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('dash', [SCRIPT, ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir, SKJOLD_CONFIG: join(dir, 'none'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

let dir: string;
let server: Server;
let base: string;
let caFile: string;
const received: Received[] = [];
let answer: { status: number; type: string; body: string } = { status: 202, type: 'application/json', body: '{}' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skjold-agent-'));
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, pems.cert);
  server = createServer({ cert: pems.cert, key: pems.private }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!debian)('skjold-vulns-agent.sh on this Debian machine', { timeout: 120_000 }, () => {
  it('prints a document that parses whole, with every package dpkg-query lists', async () => {
    const r = await runAgent(['--print'], {});
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const parsed = parseInventoryUpload(r.stdout);
    if (!parsed.ok) throw new Error(`line ${parsed.line}: ${parsed.reason}: ${parsed.text}`);
    const inv = parsed.inventory;
    expect(inv.distro).toBe('Debian:12');
    expect(inv.format).toBe('dpkg');
    expect(inv.kernelRelease).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(inv.hostname).toMatch(/^[A-Za-z0-9]/);
    const listed = execFileSync('dpkg-query', ['-W'], { encoding: 'utf8' }).trim().split('\n').length;
    expect(inv.packages.length + (inv.notInstalled ?? 0)).toBeGreaterThanOrEqual(listed - 3);
    expect(inv.packages.length + (inv.notInstalled ?? 0)).toBeLessThanOrEqual(listed + 3);
    expect(inv.packages.find((p) => p.name === 'dash')).toMatchObject({ source: 'dash', ecosystem: 'Debian:12' });
    if (has('apt')) expect(inv.packages.filter((p) => p.origin !== undefined).length).toBeGreaterThan(inv.packages.length / 2);
  });

  it('posts the document over HTTPS with the token and content type, quietly', async () => {
    received.length = 0;
    answer = { status: 202, type: 'application/json', body: '{"snapshotId":"s1"}' };
    const r = await runAgent([], { SKJOLD_URL: `${base}/`, SKJOLD_TOKEN: 'skj_test_token_1', SKJOLD_CACERT: caFile });
    expect([r.code, r.stderr, r.stdout]).toEqual([0, '', '']);
    expect(received).toHaveLength(1);
    const req = received[0] as Received;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v1/vulns/inventory');
    expect(req.headers['authorization']).toBe('Bearer skj_test_token_1');
    expect(req.headers['content-type']).toBe('text/plain');
    const parsed = parseInventoryUpload(req.body);
    expect(parsed).toMatchObject({ ok: true, inventory: { distro: 'Debian:12' } });
  });

  it('reads its settings from the config file, with the environment taking precedence', async () => {
    received.length = 0;
    answer = { status: 202, type: 'application/json', body: '{}' };
    const conf = join(dir, 'agent.conf');
    writeFileSync(
      conf,
      `# Skjold agent\nSKJOLD_URL="${base}"\nSKJOLD_TOKEN='from-file'\nSKJOLD_CACERT=${caFile}\nSKJOLD_HOSTNAME=wrong\n`,
    );
    const r = await runAgent([], { SKJOLD_CONFIG: conf, SKJOLD_HOSTNAME: 'web-01.example.dk' });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(received[0]?.headers['authorization']).toBe('Bearer from-file');
    expect(received[0]?.body).toContain('\nhostname web-01.example.dk\n');

    writeFileSync(conf, 'SKJOLD_URL=https://x\nPATH=/tmp\n');
    expect(await runAgent([], { SKJOLD_CONFIG: conf })).toMatchObject({
      code: 2,
      stderr: `skjold-vulns-agent: ${conf} line 2: unknown key PATH\n`,
    });
  });

  it("exits 4 and prints the server's problem message when the upload is refused", async () => {
    answer = {
      status: 400,
      type: 'application/problem+json',
      body: '{"type":"about:blank","title":"Malformed inventory","status":400,"code":"inventory_malformed","detail":"line 812: not a Debian version"}',
    };
    const r = await runAgent([], { SKJOLD_URL: base, SKJOLD_TOKEN: 't', SKJOLD_CACERT: caFile });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('skjold-vulns-agent: Skjold refused the upload: {');
    expect(r.stderr).toContain('"detail":"line 812: not a Debian version"');
  });

  it('refuses an untrusted certificate, plain http and missing settings before sending anything', async () => {
    received.length = 0;
    const untrusted = await runAgent([], { SKJOLD_URL: base, SKJOLD_TOKEN: 't' });
    expect(untrusted.code).toBe(5);
    expect(untrusted.stderr).toMatch(/could not reach https:\/\/127\.0\.0\.1:\d+\/api\/v1\/vulns\/inventory \(curl exit 60\)/);
    expect(await runAgent([], { SKJOLD_URL: 'http://127.0.0.1:1', SKJOLD_TOKEN: 't' })).toMatchObject({
      code: 2,
      stderr: 'skjold-vulns-agent: SKJOLD_URL must be https:// (the token must not travel in clear)\n',
    });
    expect(await runAgent([], { SKJOLD_URL: base })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('SKJOLD_TOKEN') as string,
    });
    expect(await runAgent(['--bogus'], {})).toMatchObject({ code: 2 });
    expect(await runAgent([], { SKJOLD_URL: base, SKJOLD_TOKEN: 't', SKJOLD_SPLAY: 'soon' })).toMatchObject({ code: 2 });
    expect(received).toHaveLength(0);
    const help = await runAgent(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  it('exits 5 when nothing listens', async () => {
    const r = await runAgent([], { SKJOLD_URL: 'https://127.0.0.1:1', SKJOLD_TOKEN: 't', SKJOLD_TIMEOUT: '5' });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('(curl exit 7)');
  });

  it.skipIf(!has('rpm') || !has('rpmbuild'))('collects with rpm when told to, in the query format the parser reads', async () => {
    // A real rpm database in a scratch directory, found through ~/.rpmmacros as rpm itself reads it.
    const spec = join(dir, 'demo.spec');
    writeFileSync(
      spec,
      'Name: skjold-demo\nVersion: 2.0\nRelease: 1.el9\nSummary: d\nLicense: MIT\nBuildArch: noarch\n%description\nd\n%files\n',
    );
    execFileSync('rpmbuild', ['-bb', '--define', `_topdir ${dir}/top`, spec], {
      stdio: 'ignore',
      env: { ...process.env, HOME: dir },
    });
    writeFileSync(join(dir, '.rpmmacros'), `%_dbpath ${dir}/rpmdb\n`);
    execFileSync('rpm', ['--initdb'], { env: { ...process.env, HOME: dir } });
    const rpms = readdirSync(join(dir, 'top/RPMS/noarch')).map((f) => join(dir, 'top/RPMS/noarch', f));
    execFileSync('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', ...rpms], {
      stdio: 'ignore',
      env: { ...process.env, HOME: dir },
    });
    const r = await runAgent(['--print'], { SKJOLD_PACKAGE_TOOL: 'rpm' });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const start = lines.indexOf('[rpm]') + 1;
    expect(start).toBeGreaterThan(0);
    expect(lines).not.toContain('reboot-required no');
    const end = lines.findIndex((l, i) => i >= start && (l.startsWith('[') || l === ''));
    const parsed = parseRpmInventory(lines.slice(start, end).join('\n'), 'AlmaLinux:9');
    expect(parsed).toEqual({
      ok: true,
      packages: [
        {
          name: 'skjold-demo',
          version: '2.0-1.el9',
          source: 'skjold-demo',
          sourceVersion: '2.0-1.el9',
          ecosystem: 'AlmaLinux:9',
          arch: 'noarch',
        },
      ],
    });
    // The whole document is refused: an rpm list on a Debian host is not an inventory Skjold can match.
    expect(parseInventoryUpload(r.stdout)).toMatchObject({ ok: false, reason: 'a [rpm] package list on Debian:12' });
  });
});
