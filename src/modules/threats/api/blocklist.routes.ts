import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Actor, Permission } from '../../../core/auth.ts';
import { forbidden, unauthenticated } from '../../../core/errors.ts';
import { type AnyRoute, defineRoute } from '../../../core/http/routes.ts';
import { BOUNCER_KEY_HEADER, type BouncersService } from '../bouncers.service.ts';
import { decisionFeedStore } from '../enforce/decision-feed.store.ts';
import { BLOCKLIST_FORMATS, renderIpsetRestore, renderNftables, renderNginxGeo, renderPlain } from '../enforce/renderers.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,30}$/;
const nameText = (what: string, max = 31) =>
  z
    .string()
    .max(max, `${what} is at most ${max} characters`)
    .regex(NAME, `${what}: a letter, then letters, digits, _ and -`)
    .optional();

export const blocklistQuery = z.strictObject({
  /** `nftables` (an `nft -f` file), `ipset` (an `ipset restore` file), `plain` (one per line) or `nginx-geo`. */
  format: z.enum(BLOCKLIST_FORMATS).default('plain'),
  /** nftables: table name (default `skjold`). */
  table: nameText('table'),
  /** nftables: table family (default `inet`). */
  family: z.enum(['inet', 'ip', 'ip6', 'bridge', 'netdev']).optional(),
  /** nftables: set names (default `skjold_v4`, `skjold_v6`). */
  setV4: nameText('setV4'),
  setV6: nameText('setV6'),
  /** ipset: name of the IPv4 set; the IPv6 one is `<name>-v6` (default `skjold`). */
  name: nameText('name', 24),
  /** ipset: capacity of each set (default 1,048,576). */
  maxelem: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1 << 28)
    .optional(),
  /** nginx-geo: the variable set to 1 for banned clients (default `$skjold_banned`). */
  variable: z
    .string()
    .regex(/^\$[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'variable: `$` and a name')
    .optional(),
});
export type BlocklistQuery = z.infer<typeof blocklistQuery>;

export interface BlocklistRoutesDeps {
  bouncers: BouncersService;
  /** The access policy's check (a token needs `threats.read` in its scopes and its owner's role). */
  allows: (actor: Actor, p: Permission) => boolean;
}

const httpDate = (ms: number) => new Date(ms).toUTCString();

/** Whether an If-None-Match header lists `etag` (or `*`); weak comparison, as RFC 9110 asks for GET. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const v = t.trim();
    return v === '*' || v.replace(/^W\//, '') === bare;
  });
}

/**
 * The active bans as a file a firewall loads, for hosts that run no bouncer: a cron job with
 * `curl -fsS -H "X-Api-Key: skb_…" --etag-compare e --etag-save e -o skjold.nft URL && nft -f skjold.nft`
 * (or `-R -z FILE`). Answered 304 when nothing changed, from two small queries and without rendering.
 */
export function blocklistRoutes(d: BlocklistRoutesDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/threats/blocklist',
      permission: 'public',
      // A firewall polls every minute: not written to the audit log; refusals are (the route throws them).
      audited: false,
      query: blocklistQuery,
      summary: 'Active bans for firewalls: an nft -f file, an ipset restore file, a plain list or an nginx geo block',
      async handler(ctx) {
        const key = ctx.req.headers[BOUNCER_KEY_HEADER];
        if (key !== undefined) {
          const b = await d.bouncers.authenticate(ctx.db, typeof key === 'string' ? key : undefined, {
            ip: ctx.req.ip,
            userAgent: typeof ctx.req.headers['user-agent'] === 'string' ? ctx.req.headers['user-agent'] : undefined,
          });
          if (!b) throw forbidden('bouncer_key_invalid', 'the X-Api-Key is not a valid bouncer key');
        } else if (ctx.actor.type === 'anonymous') {
          throw unauthenticated('authentication_required', 'send a bouncer key in X-Api-Key or an API token');
        } else if (!d.allows(ctx.actor, 'threats.read')) {
          throw forbidden('permission_denied', 'the blocklist needs the permission threats.read');
        }
        const q = ctx.query;
        const now = ctx.clock.now().getTime();
        // The counter moves on every creation and removal; between two moves the active set can only shrink by
        // expiry, which the count shows. Together they name the set of bans (the timeouts in the file are relative).
        const seq = await decisionFeedStore.counter(ctx.db);
        const count = await decisionFeedStore.activeCount(ctx.db, now);
        const variant = createHash('sha256').update(JSON.stringify(q)).digest('base64url').slice(0, 10);
        const etag = `W/"${variant}-${seq}-${count}"`;
        void ctx.reply.header('ETag', etag).header('Cache-Control', 'no-cache');
        const inm = ctx.req.headers['if-none-match'];
        // If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3), and spares the Last-Modified query.
        if (inm !== undefined && matchesEtag(inm, etag)) return ctx.reply.code(304).send();
        const changed = await decisionFeedStore.lastChange(ctx.db, now);
        // Last-Modified only once the second of the last change is over, so a later change in that same second
        // cannot hide behind an If-Modified-Since of it.
        const lastModified = Math.floor(changed / 1000) * 1000 + 1000;
        if (lastModified <= now) void ctx.reply.header('Last-Modified', httpDate(lastModified));
        const ims = ctx.req.headers['if-modified-since'];
        const notModified =
          inm === undefined &&
          typeof ims === 'string' &&
          lastModified <= now &&
          !Number.isNaN(Date.parse(ims)) &&
          lastModified <= Date.parse(ims);
        if (notModified) return ctx.reply.code(304).send();
        const rows = await decisionFeedStore.active(ctx.db, now);
        let text: string;
        if (q.format === 'nftables')
          text = renderNftables(rows, {
            now,
            ...(q.table ? { table: q.table } : {}),
            ...(q.family ? { family: q.family } : {}),
            ...(q.setV4 ? { setV4: q.setV4 } : {}),
            ...(q.setV6 ? { setV6: q.setV6 } : {}),
          });
        else if (q.format === 'ipset')
          text = renderIpsetRestore(rows, {
            now,
            ...(q.name ? { name: q.name } : {}),
            ...(q.maxelem ? { maxelem: q.maxelem } : {}),
          });
        else if (q.format === 'nginx-geo') text = renderNginxGeo(rows, { now, ...(q.variable ? { variable: q.variable } : {}) });
        else text = renderPlain(rows, { now });
        return ctx.reply.code(200).type('text/plain; charset=utf-8').send(text);
      },
    }),
  ];
}
