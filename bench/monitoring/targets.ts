import http from 'node:http';

/**
 * HTTP targets for the monitoring benchmark, in their own process so they do not share the scheduler's event loop.
 * Starts `--servers N` servers on 127.0.0.1 (ephemeral ports), prints `{"ports":[…]}` on one line, and reports its
 * own CPU use on SIGTERM (stderr).
 */
const n = Number(process.argv.find((a) => a.startsWith('--servers='))?.slice(10) ?? 8);
const ports: number[] = [];
let requests = 0;
const started = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const s = http.createServer((_req, res) => {
    requests++;
    res.setHeader('content-type', 'text/plain');
    res.end('ok skjold bench\n');
  });
  s.keepAliveTimeout = 1000;
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', 1024, r));
  ports.push((s.address() as { port: number }).port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(started);
  const wall = performance.now() - t0;
  process.stderr.write(
    `${JSON.stringify({ requests, cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10 })}\n`,
  );
  process.exit(0);
});
