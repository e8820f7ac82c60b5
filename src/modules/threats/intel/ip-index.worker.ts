import { parentPort } from 'node:worker_threads';
import { type BuildReply, type IndexSource, buildIpIndexData, transferList } from './ip-index.ts';

/**
 * Worker side of `IpIndexHolder.rebuild`: receives the sources once, builds the index data and hands the typed
 * arrays back by transfer (no copy), so the event loop of the main thread only pays for the hand-over.
 */
const port = parentPort;
if (port) {
  port.once('message', (sources: IndexSource[]) => {
    let reply: BuildReply;
    try {
      const data = buildIpIndexData(sources);
      port.postMessage({ ok: true, data } satisfies BuildReply, transferList(data));
      return;
    } catch (e) {
      reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    port.postMessage(reply);
  });
  port.postMessage('ready');
}
