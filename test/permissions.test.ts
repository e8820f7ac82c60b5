import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Permission, type Role } from '../src/core/auth.ts';
import type { RegisteredRoute } from '../src/core/http/routes.ts';
import { createTestApp, type TestApp } from './app.ts';
import { DIALECTS } from './databases.ts';
import { TEST_ACTOR, TEST_PASSWORD, createUserWithToken, signInAs, type TestSession } from './identity.ts';
import { parseAgentUpload } from '../src/modules/vulns/inventory.service.ts';
import { snapshotDatabase } from './snapshot.ts';
import { reviewPolicyBody } from '../src/modules/access/api/reviews.schemas.ts';
import { ADMIN_DN, ADMIN_PW, MINIMAL_LDIF, type Slapd, startSlapd } from '../src/modules/access/accounts.test-slapd.ts';

/**
 * Deny by default, proven over every registered route: a caller whose role lacks the route's permission gets 403
 * and nothing in the database changes; a token whose scopes lack it gets 403 too; nobody signed in gets 401.
 *
 * Write routes get a request that WOULD change something for an allowed caller (checked at the end), so a missing
 * check cannot hide behind a validation error. A new write route without a sample here fails this test.
 */
interface Ids {
  victimId: string;
  victimTokenId: string;
  /** Incidents: a triggered one (ack, notes), another triggered one (resolve), a resolved one (postmortem). */
  openIncidentId: string;
  resolvableIncidentId: string;
  resolvedIncidentId: string;
  /** Maintenance windows: one to change, one to delete. */
  windowId: string;
  doomedWindowId: string;
  /** Monitoring: a paused heartbeat monitor (resumed, paused, changed, then deleted by the walk). */
  monitorId: string;
  /** Monitoring: a probe (token rotated, then deleted by the walk). */
  probeId: string;
  /** On-call: a schedule (changed, overridden, keyed), one to delete, and an override to delete. */
  scheduleId: string;
  doomedScheduleId: string;
  overrideId: string;
  /** Paging: a policy to change and one to delete; a channel to change and one to delete. */
  policyId: string;
  doomedPolicyId: string;
  channelId: string;
  doomedChannelId: string;
  /** Threats: a decision to unban by id, a banned value to unban by value, an allowlist entry and a feed. */
  decisionId: string;
  bannedValue: string;
  allowlistId: string;
  feedId: string;
  feedFile: string;
  bouncerId: string;
  /** Vulns: a host (changed), a host to delete, a service (SBOM), a KEV feed from a local file, a finding to triage. */
  vulnsAssetId: string;
  vulnsDoomedAssetId: string;
  vulnsServiceId: string;
  vulnsFeedId: string;
  vulnsFeedFile: string;
  vulnsFindingId: string;
  /** Access (physical): a site with a door and a camera (changed, then deleted), a site to delete, a person, a badge
   * to revoke, a site grant to approve then revoke, and one to reject. */
  accessSiteId: string;
  accessDoorId: string;
  accessCameraId: string;
  accessDoomedSiteId: string;
  accessPersonId: string;
  accessBadgeId: string;
  accessSiteGrantId: string;
  accessRejectedGrantId: string;
  /** Access reviews: a policy (changed, started), an open campaign (closed by the walk) and an entry of it to decide. */
  reviewPolicyId: string;
  reviewCampaignId: string;
  reviewEntryId: string;
  /** Access accounts: a system (imports, LDAP source on a real slapd, pull), a task on another system to close. */
  accountsSystemId: string;
  accountsLdapUrl: string;
  accountsTaskId: string;
  /** Access people: a person (changed), a leaver, one to delete, one to put on and one to take off the privileged
   * list; a system (changed) and one to delete; grants to approve, reject, revoke and reduce. */
  peoplePersonId: string;
  peopleLeaverId: string;
  peopleDoomedPersonId: string;
  peopleUnlistedId: string;
  peopleListedId: string;
  peopleSystemId: string;
  peopleDoomedSystemId: string;
  peoplePendingGrantId: string;
  peopleRejectGrantId: string;
  peopleActiveGrantId: string;
  peopleReduceGrantId: string;
}
const randomDocV6 = () => `2001:db8:${randomUUID().slice(0, 4)}::${randomUUID().slice(0, 4)}`;
const walkInventory = (hostname: string) =>
  [
    'skjold-inventory 1',
    `hostname ${hostname}`,
    'uname-r 6.1.0-18-amd64',
    '[os-release]',
    'ID=debian',
    'VERSION_ID="12"',
    'VERSION_CODENAME=bookworm',
    '[dpkg]',
    'openssl\t3.0.11-1~deb12u1\topenssl\t3.0.11-1~deb12u1\tinstall ok installed',
    '',
  ].join('\n');
const WALK_SBOM = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  components: [{ type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' }],
};
const WALK_SYSTEM = (description: string) => ({
  name: 'walk-people-system',
  kind: 'server',
  classification: 'customer',
  description,
  levels: [{ name: 'read' }, { name: 'write' }],
});
const WRITE_SAMPLES: Record<string, (ids: Ids) => { url?: string; payload?: unknown }> = {
  'POST /api/v1/access/people': () => ({ payload: { name: `walk-${randomUUID().slice(0, 8)}` } }),
  'PATCH /api/v1/access/people/:id': (ids) => ({
    url: `/api/v1/access/people/${ids.peoplePersonId}`,
    payload: { team: `walk-${randomUUID().slice(0, 8)}` },
  }),
  'POST /api/v1/access/people/:id/leave': (ids) => ({ url: `/api/v1/access/people/${ids.peopleLeaverId}/leave`, payload: {} }),
  'DELETE /api/v1/access/people/:id': (ids) => ({ url: `/api/v1/access/people/${ids.peopleDoomedPersonId}` }),
  'POST /api/v1/access/people/apply': () => ({
    payload: { people: [{ name: 'walk applied', email: `walk-${randomUUID().slice(0, 8)}@example.test` }] },
  }),
  'POST /api/v1/access/systems': () => ({
    payload: { ...WALK_SYSTEM(''), name: `walk-${randomUUID().slice(0, 8)}` },
  }),
  'PUT /api/v1/access/systems/:id': (ids) => ({
    url: `/api/v1/access/systems/${ids.peopleSystemId}`,
    payload: WALK_SYSTEM(`walked ${randomUUID().slice(0, 8)}`),
  }),
  'DELETE /api/v1/access/systems/:id': (ids) => ({ url: `/api/v1/access/systems/${ids.peopleDoomedSystemId}` }),
  'POST /api/v1/access/systems/apply': () => ({
    payload: { systems: [{ ...WALK_SYSTEM(''), name: `walk-${randomUUID().slice(0, 8)}` }] },
  }),
  'POST /api/v1/access/privileged': (ids) => ({ payload: { personId: ids.peopleUnlistedId, reason: 'walk' } }),
  'POST /api/v1/access/privileged/:personId/remove': (ids) => ({
    url: `/api/v1/access/privileged/${ids.peopleListedId}/remove`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/grants': (ids) => ({
    payload: { personId: ids.peoplePersonId, systemId: ids.peopleSystemId, level: 'write', justification: 'walk' },
  }),
  'POST /api/v1/access/grants/:id/approve': (ids) => ({
    url: `/api/v1/access/grants/${ids.peoplePendingGrantId}/approve`,
    payload: {},
  }),
  'POST /api/v1/access/grants/:id/reject': (ids) => ({
    url: `/api/v1/access/grants/${ids.peopleRejectGrantId}/reject`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/grants/:id/revoke': (ids) => ({
    url: `/api/v1/access/grants/${ids.peopleActiveGrantId}/revoke`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/grants/:id/reduce': (ids) => ({
    url: `/api/v1/access/grants/${ids.peopleReduceGrantId}/reduce`,
    payload: { level: 'read', reason: 'walk' },
  }),
  'POST /api/v1/access/grants/apply': () => ({
    payload: {
      grants: [{ person: 'walk-apply@example.test', system: 'walk-people-system', level: 'read', justification: 'walk' }],
    },
  }),
  'POST /api/v1/access/systems/:id/accounts/import': (ids) => ({
    url: `/api/v1/access/systems/${ids.accountsSystemId}/accounts/import`,
    payload: `account,name\nwalk-${randomUUID().slice(0, 8)},Walk\n`,
  }),
  'PUT /api/v1/access/systems/:id/ldap': (ids) => ({
    url: `/api/v1/access/systems/${ids.accountsSystemId}/ldap`,
    payload: {
      url: ids.accountsLdapUrl,
      bindDn: ADMIN_DN,
      bindPassword: ADMIN_PW,
      baseDn: 'ou=people,dc=example,dc=org',
      filter: `(|(uid=walk)(uid=${randomUUID().slice(0, 8)}))`,
      attributes: { account: 'uid', name: 'cn', mail: 'mail', memberOf: 'memberOf' },
    },
  }),
  'POST /api/v1/access/systems/:id/accounts/pull': (ids) => ({
    url: `/api/v1/access/systems/${ids.accountsSystemId}/accounts/pull`,
  }),
  'DELETE /api/v1/access/systems/:id/ldap': (ids) => ({ url: `/api/v1/access/systems/${ids.accountsSystemId}/ldap` }),
  'POST /api/v1/access/login-events/import': () => ({
    payload: JSON.stringify({
      time: new Date().toISOString(),
      system: 'walk-accounts',
      account: `walk-${randomUUID().slice(0, 8)}`,
      ip: '192.0.2.1',
      outcome: 'success',
    }),
  }),
  'POST /api/v1/access/tasks/:id/close': (ids) => ({
    url: `/api/v1/access/tasks/${ids.accountsTaskId}/close`,
    payload: { reason: 'walk closes it' },
  }),
  'POST /api/v1/access/review-policies': () => ({ payload: { name: `walk-${randomUUID().slice(0, 8)}` } }),
  'PUT /api/v1/access/review-policies/:id': (ids) => ({
    url: `/api/v1/access/review-policies/${ids.reviewPolicyId}`,
    payload: { name: `walked-${randomUUID().slice(0, 8)}`, intervalMonths: 3 },
  }),
  'POST /api/v1/access/review-policies/:id/start': (ids) => ({
    url: `/api/v1/access/review-policies/${ids.reviewPolicyId}/start`,
  }),
  'POST /api/v1/access/review-entries/:id/decision': (ids) => ({
    url: `/api/v1/access/review-entries/${ids.reviewEntryId}/decision`,
    payload: { decision: 'keep' },
  }),
  'POST /api/v1/access/campaigns/:id/close': (ids) => ({
    url: `/api/v1/access/campaigns/${ids.reviewCampaignId}/close`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/sites': () => ({ payload: { name: `walk-${randomUUID().slice(0, 8)}`, country: 'DK' } }),
  'POST /api/v1/access/sites/apply': () => ({
    payload: { sites: [{ name: `walk-${randomUUID().slice(0, 8)}`, country: 'DK' }] },
  }),
  'PUT /api/v1/access/sites/:id': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}`,
    payload: { name: 'walk site', country: 'DK', notes: `walked ${randomUUID().slice(0, 8)}` },
  }),
  'DELETE /api/v1/access/sites/:id': (ids) => ({ url: `/api/v1/access/sites/${ids.accessDoomedSiteId}` }),
  'POST /api/v1/access/sites/:id/doors': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}/doors`,
    payload: { name: `walk-${randomUUID().slice(0, 8)}` },
  }),
  'PUT /api/v1/access/sites/:id/doors/:childId': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}/doors/${ids.accessDoorId}`,
    payload: { name: `walk-${randomUUID().slice(0, 8)}`, entrance: false },
  }),
  'DELETE /api/v1/access/sites/:id/doors/:childId': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}/doors/${ids.accessDoorId}`,
  }),
  'POST /api/v1/access/sites/:id/cameras': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}/cameras`,
    payload: { name: `walk-${randomUUID().slice(0, 8)}` },
  }),
  'PUT /api/v1/access/sites/:id/cameras/:childId': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}/cameras/${ids.accessCameraId}`,
    payload: { name: `walk-${randomUUID().slice(0, 8)}`, doorId: null },
  }),
  'DELETE /api/v1/access/sites/:id/cameras/:childId': (ids) => ({
    url: `/api/v1/access/sites/${ids.accessSiteId}/cameras/${ids.accessCameraId}`,
  }),
  'POST /api/v1/access/badges': (ids) => ({ payload: { number: `W-${randomUUID().slice(0, 8)}`, personId: ids.accessPersonId } }),
  'POST /api/v1/access/badges/:id/revoke': (ids) => ({
    url: `/api/v1/access/badges/${ids.accessBadgeId}/revoke`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/site-grants': (ids) => ({
    payload: { personId: ids.accessPersonId, siteId: ids.accessSiteId, justification: 'walk' },
  }),
  'POST /api/v1/access/site-grants/:id/approve': (ids) => ({
    url: `/api/v1/access/site-grants/${ids.accessSiteGrantId}/approve`,
  }),
  'POST /api/v1/access/site-grants/:id/reject': (ids) => ({
    url: `/api/v1/access/site-grants/${ids.accessRejectedGrantId}/reject`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/site-grants/:id/revoke': (ids) => ({
    url: `/api/v1/access/site-grants/${ids.accessSiteGrantId}/revoke`,
    payload: { reason: 'walk' },
  }),
  'POST /api/v1/access/badge-events/import': () => ({
    payload: `time,badge,door,site,result\n2026-01-0${1 + Math.floor(Math.random() * 9)}T0${Math.floor(Math.random() * 10)}:00:00Z,W-1,walk gate,walk site,granted\n`,
  }),
  'POST /api/v1/vulns/assets': () => ({ payload: { name: `walk-${randomUUID().slice(0, 8)}`, kind: 'service' } }),
  'PUT /api/v1/vulns/assets/:id': (ids) => ({
    url: `/api/v1/vulns/assets/${ids.vulnsAssetId}`,
    payload: { name: 'walk-host', kind: 'host', description: `walked ${randomUUID().slice(0, 8)}` },
  }),
  'DELETE /api/v1/vulns/assets/:id': (ids) => ({ url: `/api/v1/vulns/assets/${ids.vulnsDoomedAssetId}` }),
  'POST /api/v1/vulns/inventory': () => ({ payload: walkInventory(`walk-${randomUUID().slice(0, 8)}`) }),
  'POST /api/v1/vulns/assets/:id/sbom': (ids) => ({ url: `/api/v1/vulns/assets/${ids.vulnsServiceId}/sbom`, payload: WALK_SBOM }),
  'POST /api/v1/vulns/feeds': (ids) => ({
    payload: { kind: 'kev', name: `walk-${randomUUID().slice(0, 8)}`, path: ids.vulnsFeedFile },
  }),
  'PUT /api/v1/vulns/feeds/:id': (ids) => ({
    url: `/api/v1/vulns/feeds/${ids.vulnsFeedId}`,
    payload: { kind: 'kev', name: 'walked', path: ids.vulnsFeedFile, enabled: false },
  }),
  'POST /api/v1/vulns/feeds/:id/refresh': (ids) => ({ url: `/api/v1/vulns/feeds/${ids.vulnsFeedId}/refresh` }),
  'DELETE /api/v1/vulns/feeds/:id': (ids) => ({ url: `/api/v1/vulns/feeds/${ids.vulnsFeedId}` }),
  'POST /api/v1/vulns/findings/:id/triage': (ids) => ({
    url: `/api/v1/vulns/findings/${ids.vulnsFindingId}/triage`,
    payload: { state: 'exploitable', detail: 'walk' },
  }),
  'POST /api/v1/threats/decisions': () => ({ payload: { target: randomDocV6(), reason: 'walk ban' } }),
  'DELETE /api/v1/threats/decisions/:id': (ids) => ({ url: `/api/v1/threats/decisions/${ids.decisionId}` }),
  'POST /api/v1/threats/unban': (ids) => ({ payload: { target: ids.bannedValue } }),
  'POST /api/v1/threats/allowlist': () => ({ payload: { cidr: randomDocV6(), reason: 'walk allow' } }),
  'DELETE /api/v1/threats/allowlist/:id': (ids) => ({ url: `/api/v1/threats/allowlist/${ids.allowlistId}` }),
  'POST /api/v1/threats/ingest': () => ({
    payload: 'Nov 27 10:00:00 web1 sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2',
  }),
  'POST /api/v1/threats/bouncers': () => ({ payload: { name: `walk-${randomUUID().slice(0, 8)}` } }),
  'DELETE /api/v1/threats/bouncers/:id': (ids) => ({ url: `/api/v1/threats/bouncers/${ids.bouncerId}` }),
  'POST /api/v1/threats/feeds': (ids) => ({
    payload: { id: `walk-${randomUUID().slice(0, 8)}`, name: 'walk', file: ids.feedFile, licence: 'CC0', attribution: 'walk' },
  }),
  'PUT /api/v1/threats/feeds/:id': (ids) => ({
    url: `/api/v1/threats/feeds/${ids.feedId}`,
    payload: { name: 'walked', file: ids.feedFile, licence: 'CC0', attribution: 'walk', enabled: false },
  }),
  'POST /api/v1/threats/feeds/:id/refresh': (ids) => ({ url: `/api/v1/threats/feeds/${ids.feedId}/refresh` }),
  'DELETE /api/v1/threats/feeds/:id': (ids) => ({ url: `/api/v1/threats/feeds/${ids.feedId}` }),
  'POST /api/v1/users': () => ({
    payload: { username: `walk-${randomUUID().slice(0, 8)}`, role: 'viewer', password: TEST_PASSWORD },
  }),
  'PATCH /api/v1/users/:id': (ids) => ({ url: `/api/v1/users/${ids.victimId}`, payload: { disabled: true, role: 'viewer' } }),
  'POST /api/v1/users/:id/mfa/reset': (ids) => ({ url: `/api/v1/users/${ids.victimId}/mfa/reset` }),
  'DELETE /api/v1/tokens/:id': (ids) => ({ url: `/api/v1/tokens/${ids.victimTokenId}` }),
  'POST /api/v1/audit/verify': () => ({ payload: {} }),
  'POST /api/v1/monitors': () => ({ payload: { type: 'heartbeat', name: 'walk', intervalSeconds: 3600 } }),
  'POST /api/v1/monitors/apply': () => ({
    payload: { monitors: [{ type: 'heartbeat', name: 'walk applied', intervalSeconds: 3600 }] },
  }),
  'PATCH /api/v1/monitors/:id': (ids) => ({
    url: `/api/v1/monitors/${ids.monitorId}`,
    payload: { name: `walk ${randomUUID().slice(0, 8)}` },
  }),
  'POST /api/v1/monitors/:id/resume': (ids) => ({ url: `/api/v1/monitors/${ids.monitorId}/resume` }),
  'POST /api/v1/monitors/:id/pause': (ids) => ({ url: `/api/v1/monitors/${ids.monitorId}/pause` }),
  'DELETE /api/v1/monitors/:id': (ids) => ({ url: `/api/v1/monitors/${ids.monitorId}` }),
  'POST /api/v1/probes': () => {
    const n = randomUUID().slice(0, 8);
    return { payload: { name: `walk ${n}`, location: `walk-${n}` } };
  },
  'POST /api/v1/probes/:id/rotate': (ids) => ({ url: `/api/v1/probes/${ids.probeId}/rotate` }),
  'DELETE /api/v1/probes/:id': (ids) => ({ url: `/api/v1/probes/${ids.probeId}` }),
  'POST /api/v1/incidents/:id/ack': (ids) => ({ url: `/api/v1/incidents/${ids.openIncidentId}/ack` }),
  'POST /api/v1/incidents/:id/resolve': (ids) => ({ url: `/api/v1/incidents/${ids.resolvableIncidentId}/resolve`, payload: {} }),
  'POST /api/v1/incidents/:id/notes': (ids) => ({
    url: `/api/v1/incidents/${ids.openIncidentId}/notes`,
    payload: { text: 'walk' },
  }),
  'PUT /api/v1/incidents/:id/postmortem': (ids) => ({
    url: `/api/v1/incidents/${ids.resolvedIncidentId}/postmortem`,
    payload: { summary: 's', rootCause: 'r' },
  }),
  'POST /api/v1/signals': () => ({
    payload: { source: 'walk', dedupKey: 'walk:1', status: 'firing', severity: 'minor', summary: 'walk' },
  }),
  'POST /api/v1/oncall/schedules': () => ({ payload: { name: 'walk' } }),
  'POST /api/v1/oncall/schedules/apply': () => ({ payload: { schedules: [{ name: 'walk applied' }] } }),
  'PATCH /api/v1/oncall/schedules/:id': (ids) => ({
    url: `/api/v1/oncall/schedules/${ids.scheduleId}`,
    payload: { name: 'walked' },
  }),
  'DELETE /api/v1/oncall/schedules/:id': (ids) => ({ url: `/api/v1/oncall/schedules/${ids.doomedScheduleId}` }),
  'POST /api/v1/oncall/schedules/:id/overrides': (ids) => ({
    url: `/api/v1/oncall/schedules/${ids.scheduleId}/overrides`,
    payload: { userId: ids.victimId, startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-02T00:00:00Z' },
  }),
  'DELETE /api/v1/oncall/schedules/:id/overrides/:overrideId': (ids) => ({
    url: `/api/v1/oncall/schedules/${ids.scheduleId}/overrides/${ids.overrideId}`,
  }),
  'POST /api/v1/oncall/schedules/:id/calendar-key': (ids) => ({ url: `/api/v1/oncall/schedules/${ids.scheduleId}/calendar-key` }),
  'POST /api/v1/oncall/users/:id/calendar-key': (ids) => ({ url: `/api/v1/oncall/users/${ids.victimId}/calendar-key` }),
  'POST /api/v1/maintenance-windows': () => ({
    payload: {
      title: 'walk',
      changeRef: 'CHG-1',
      keyPrefixes: ['walk:'],
      kind: 'once',
      startsAt: '2030-01-01T00:00:00Z',
      endsAt: '2030-01-01T01:00:00Z',
    },
  }),
  'PATCH /api/v1/maintenance-windows/:id': (ids) => ({
    url: `/api/v1/maintenance-windows/${ids.windowId}`,
    payload: { title: 'walked' },
  }),
  'DELETE /api/v1/maintenance-windows/:id': (ids) => ({ url: `/api/v1/maintenance-windows/${ids.doomedWindowId}` }),
  'POST /api/v1/escalation-policies': () => ({ payload: WALK_POLICY('walk new') }),
  'POST /api/v1/escalation-policies/apply': () => ({ payload: { escalationPolicies: [WALK_POLICY('walk applied')] } }),
  'PUT /api/v1/escalation-policies/:id': (ids) => ({
    url: `/api/v1/escalation-policies/${ids.policyId}`,
    payload: { ...WALK_POLICY('walk'), repeat: 2 },
  }),
  'DELETE /api/v1/escalation-policies/:id': (ids) => ({ url: `/api/v1/escalation-policies/${ids.doomedPolicyId}` }),
  'POST /api/v1/notification-channels': () => ({ payload: WALK_CHANNEL('walk new') }),
  'POST /api/v1/notification-channels/apply': () => ({ payload: { channels: [WALK_CHANNEL('walk applied')] } }),
  'PUT /api/v1/notification-channels/:id': (ids) => ({
    url: `/api/v1/notification-channels/${ids.channelId}`,
    payload: { ...WALK_CHANNEL('walk'), forUsers: true },
  }),
  'DELETE /api/v1/notification-channels/:id': (ids) => ({ url: `/api/v1/notification-channels/${ids.doomedChannelId}` }),
  'PUT /api/v1/oncall/contacts/:userId': (ids) => ({
    url: `/api/v1/oncall/contacts/${ids.victimId}`,
    payload: { email: 'walk@example.org', channels: [] },
  }),
};

function WALK_POLICY(name: string) {
  return { name, levels: [{ targets: [{ channel: 'walk' }], escalateAfterSeconds: 60 }] };
}
function WALK_CHANNEL(name: string) {
  return {
    name,
    forUsers: false,
    enabled: true,
    config: { kind: 'webhook', url: 'https://127.0.0.1:9/walk', secret: 'walk-secret-0123456789' },
  };
}

const isWrite = (r: RegisteredRoute) => r.method !== 'GET';
const key = (r: RegisteredRoute) => `${r.method} ${r.url}`;
const fillParams = (url: string) => url.replace(/:[A-Za-z]+/g, '1').replace('*', 'x');
const auditOrSession = (t: string) => t.startsWith('audit_') || t === 'identity_sessions';

describe.each(DIALECTS)('every route denies callers without its permission ($dialect)', ({ dialect, skip }) => {
  let t: TestApp;
  const sessions = new Map<Role, TestSession>();
  let ids: Ids;
  let walkSlapd: Slapd | undefined;

  beforeAll(async () => {
    if (skip) return;
    t = await createTestApp(dialect);
    for (const role of ROLES) sessions.set(role, await signInAs(t, role));
    const victim = await signInAs(t, 'security-officer');
    const victimToken = await createUserWithToken(t, 'operator');
    const db = t.database.db;
    const raise = (dedupKey: string) =>
      t.incidents.sink.raise(db, { source: 'walk', dedupKey, status: 'firing', severity: 'minor', summary: 'walk' });
    const resolved = await raise('walk:resolved');
    await t.incidents.service.resolve(db, resolved.incidentId, TEST_ACTOR, undefined);
    const windowInput = {
      title: 'walk',
      changeRef: 'CHG-1',
      keyPrefixes: ['walk:none'],
      components: [],
      kind: 'once' as const,
      startsAt: '2030-01-01T00:00:00.000Z',
      endsAt: '2030-01-01T01:00:00.000Z',
      weekdays: [],
      localTime: null,
      durationMinutes: null,
      timeZone: 'UTC',
    };
    ids = {
      victimId: victim.user.id,
      victimTokenId: victimToken.tokenId,
      openIncidentId: (await raise('walk:open')).incidentId,
      resolvableIncidentId: (await raise('walk:resolvable')).incidentId,
      resolvedIncidentId: resolved.incidentId,
      windowId: (await t.incidents.maintenance.create(db, windowInput, 'system:test')).id,
      doomedWindowId: (await t.incidents.maintenance.create(db, windowInput, 'system:test')).id,
      monitorId: await (async () => {
        const noAudit = { target: () => undefined, change: () => undefined };
        const m = await t.monitoring.service.create(
          db,
          { type: 'heartbeat', name: 'walk', intervalSeconds: 3600 },
          'system:test',
          noAudit,
        );
        await t.monitoring.service.setPaused(db, m.id, true, noAudit);
        return m.id;
      })(),
      probeId: (
        await t.monitoring.probes.create(db, { name: 'walk', location: 'walk' }, 'system:test', {
          target: () => undefined,
          change: () => undefined,
        })
      ).id,
      ...(await (async () => {
        const input = { name: 'walk', description: '', timeZone: 'UTC', layers: [] };
        const schedule = await t.oncall.service.create(db, input, 'system:test');
        const doomed = await t.oncall.service.create(db, input, 'system:test');
        const window = {
          userId: victim.user.id,
          startsAt: '2030-01-01T00:00:00.000Z',
          endsAt: '2030-01-02T00:00:00.000Z',
          reason: '',
        };
        const override = await t.oncall.service.addOverride(db, schedule.id, window, 'system:test');
        return { scheduleId: schedule.id, doomedScheduleId: doomed.id, overrideId: override.id };
      })()),
      ...(await (async () => {
        const paging = t.oncall.paging;
        const channel = await paging.createChannel(db, WALK_CHANNEL('walk'));
        const doomedChannel = await paging.createChannel(db, WALK_CHANNEL('walk doomed'));
        const policy = await paging.createPolicy(db, {
          ...WALK_POLICY('walk'),
          description: '',
          repeat: 0,
          match: {},
          isDefault: false,
        });
        const doomedPolicy = await paging.createPolicy(db, {
          ...WALK_POLICY('walk doomed'),
          description: '',
          repeat: 0,
          match: {},
          isDefault: false,
        });
        return { policyId: policy.id, doomedPolicyId: doomedPolicy.id, channelId: channel.id, doomedChannelId: doomedChannel.id };
      })()),
      ...(await (async () => {
        const th = t.threats;
        const ban = (target: string) =>
          th.decisions.ban(db, { target, reason: 'walk', scenario: 'manual', origin: 'manual', actor: 'system:test' });
        const d = await ban('192.0.2.200');
        await ban('192.0.2.201');
        if (!d.ok) throw new Error('could not seed a decision');
        const noAudit = { target: () => undefined, change: () => undefined };
        const allow = await th.allowlist.add(db, { cidr: '192.0.2.250', reason: 'walk' }, 'system:test', noAudit);
        const feedFile = join(t.testDb.dataDir, 'walk.netset');
        writeFileSync(feedFile, '185.220.101.1\n');
        await th.feeds.create(db, { id: 'walk', name: 'walk', file: feedFile, licence: 'CC0', attribution: 'walk' }, noAudit);
        const bouncer = await th.bouncers.create(db, { name: 'walk' }, 'system:test', noAudit);
        return {
          decisionId: d.decision.id,
          bannedValue: '192.0.2.201',
          allowlistId: allow.id as string,
          feedId: 'walk',
          feedFile,
          bouncerId: bouncer.id,
        };
      })()),
      ...(await (async () => {
        const v = t.vulns;
        const noAudit = { target: () => undefined, change: () => undefined };
        const tracker = join(t.testDb.dataDir, 'walk-tracker.json');
        writeFileSync(
          tracker,
          JSON.stringify({
            openssl: { 'CVE-2026-9999': { releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1' } } } },
          }),
        );
        const kev = join(t.testDb.dataDir, 'walk-kev.json');
        writeFileSync(
          kev,
          JSON.stringify({
            title: 'walk',
            catalogVersion: '1',
            dateReleased: '2026-11-27T00:00:00Z',
            count: 0,
            vulnerabilities: [],
          }),
        );
        const feed = (kind: 'kev' | 'debian-tracker', name: string, path: string) =>
          v.feeds.create(db, { kind, name, path, url: null, ecosystems: [], intervalSeconds: 86_400, enabled: true }, noAudit);
        const trackerFeed = await feed('debian-tracker', 'walk tracker', tracker);
        await v.feeds.refresh(trackerFeed.id);
        const kevFeed = await feed('kev', 'walk kev', kev);
        // Checked once now, so the engine's feed schedule finds nothing due while the walk compares snapshots.
        await v.feeds.refresh(kevFeed.id);
        const report = await v.inventory.recordHostReport(
          db,
          parseAgentUpload(walkInventory('walk-host')),
          'system:test',
          noAudit,
        );
        const asset = (name: string, kind: 'host' | 'service') =>
          v.assets.create(
            db,
            {
              name,
              kind,
              ownerTeam: '',
              environment: '',
              site: '',
              criticality: 'medium',
              exposure: 'unknown',
              operatedBy: 'provider',
              customer: null,
              description: '',
            },
            noAudit,
          );
        const finding = await db
          .selectFrom('vulns_findings')
          .select('id')
          .where('asset_id', '=', report.assetId)
          .executeTakeFirst();
        if (!finding) throw new Error('could not seed a vulns finding');
        // The feed import re-evaluates in the background: let it finish before the walk compares snapshots.
        await v.idle();
        return {
          vulnsAssetId: report.assetId,
          vulnsDoomedAssetId: (await asset('walk-doomed', 'host')).id,
          vulnsServiceId: (await asset('walk-service', 'service')).id,
          vulnsFeedId: kevFeed.id,
          vulnsFeedFile: kev,
          vulnsFindingId: finding.id,
        };
      })()),
      ...(await (async () => {
        const p = t.access.physical;
        const noAudit = { target: () => undefined, change: () => undefined };
        const personId = randomUUID();
        const now = new Date().toISOString();
        await db
          .insertInto('access_people')
          .values({
            id: personId,
            name: 'Walk Person',
            email: 'walk@example.test',
            kind: 'employee',
            team: '',
            manager_id: null,
            status: 'active',
            left_at: null,
            user_id: null,
            identifiers: '[]',
            created_at: now,
            updated_at: now,
          })
          .execute();
        const site = (name: string) =>
          p.sites.create(db, { name, address: '', country: 'DK', holds: [], operator: '', ownerId: null, notes: '' }, noAudit);
        const s = await site('walk site');
        const door = await p.sites.addDoor(db, s.id, { name: 'walk door', entrance: true }, noAudit);
        await p.sites.addDoor(db, s.id, { name: 'walk gate', entrance: true }, noAudit);
        const cam = await p.sites.addCamera(db, s.id, { name: 'walk cam', doorId: door.id }, noAudit);
        const badge = await p.badges.issue(db, { number: 'W-0', personId }, noAudit);
        const grant = () =>
          p.siteGrants.request(db, { personId, siteId: s.id, justification: 'walk', expiresAt: null }, TEST_ACTOR, noAudit);
        return {
          accessSiteId: s.id,
          accessDoorId: door.id,
          accessCameraId: cam.id,
          accessDoomedSiteId: (await site('walk doomed site')).id,
          accessPersonId: personId,
          accessBadgeId: badge.id,
          accessSiteGrantId: (await grant()).id,
          accessRejectedGrantId: (await grant()).id,
        };
      })()),
      ...(await (async () => {
        // A system with one active grant, a review policy and an open campaign over it.
        const noAudit = { target: () => undefined, change: () => undefined };
        const now = new Date().toISOString();
        const personId = randomUUID();
        const systemId = randomUUID();
        await db
          .insertInto('access_people')
          .values({
            id: personId,
            name: 'Walk Reviewed',
            email: null,
            kind: 'employee',
            team: '',
            manager_id: null,
            status: 'active',
            left_at: null,
            user_id: null,
            identifiers: '[]',
            created_at: now,
            updated_at: now,
          })
          .execute();
        await db
          .insertInto('access_systems')
          .values({
            id: systemId,
            name: 'walk-reviewed',
            kind: 'server',
            classification: 'other',
            owner_id: null,
            description: '',
            levels: '[{"name":"read","privileged":false}]',
            created_at: now,
            updated_at: now,
          })
          .execute();
        await db
          .insertInto('access_grants')
          .values({
            id: randomUUID(),
            person_id: personId,
            system_id: systemId,
            level: 'read',
            privileged: 0,
            jit: 0,
            justification: 'walk',
            requested_by: 'system:test',
            requested_by_name: null,
            approved_by: 'system:test',
            approved_by_name: null,
            approved_at: now,
            second_approved_by: null,
            second_approved_by_name: null,
            second_approved_at: null,
            state: 'active',
            starts_at: now,
            expires_at: null,
            ended_at: null,
            ended_by: null,
            end_reason: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const reviews = t.access.reviews.reviews;
        const policy = await reviews.createPolicy(
          db,
          reviewPolicyBody.parse({ name: 'walk reviews', systemIds: [systemId] }),
          noAudit,
        );
        const { campaign } = await reviews.start(db, policy.id, {}, 'system:test', noAudit);
        const [entry] = await reviews.entries(db, campaign.id);
        if (!entry) throw new Error('could not seed a review entry');
        return { reviewPolicyId: policy.id, reviewCampaignId: campaign.id, reviewEntryId: entry.id };
      })()),
      ...(await (async () => {
        // Accounts: a real slapd for the LDAP pull; the task sits on a second system the walk's imports do not touch.
        walkSlapd = await startSlapd();
        await walkSlapd.ldif(MINIMAL_LDIF);
        const now = new Date().toISOString();
        const system = async (name: string) => {
          const id = randomUUID();
          const levels = '[{"name":"user","privileged":false}]';
          await db
            .insertInto('access_systems')
            .values({
              id,
              name,
              kind: 'server',
              classification: 'other',
              owner_id: null,
              description: '',
              levels,
              created_at: now,
              updated_at: now,
            })
            .execute();
          return id;
        };
        const accountsSystemId = await system('walk-accounts');
        const taskSystemId = await system('walk-tasks');
        const personId = randomUUID();
        await db
          .insertInto('access_people')
          .values({
            id: personId,
            name: 'Walk Account',
            email: null,
            kind: 'employee',
            team: '',
            manager_id: null,
            status: 'active',
            left_at: null,
            user_id: null,
            identifiers: '["walk-keep"]',
            created_at: now,
            updated_at: now,
          })
          .execute();
        const [task] = await db.transaction().execute((trx) =>
          t.access.accounts.service.openRemovalTask(trx, {
            systemId: taskSystemId,
            personId,
            account: 'walk-keep',
            actor: 'system:test',
          }),
        );
        if (!task) throw new Error('could not seed a removal task');
        return { accountsSystemId, accountsLdapUrl: walkSlapd.url, accountsTaskId: task.id };
      })()),
      ...(await (async () => {
        const a = t.access;
        const noAudit = { target: () => undefined, change: () => undefined };
        const seeder = { ref: 'user:walk-seed', name: 'walk seed', userId: 'walk-seed' };
        const person = async (name: string, email: string | null = null) =>
          (
            await a.people.create(
              db,
              { name, email, kind: 'employee', team: '', managerId: null, userId: null, identifiers: [] },
              noAudit,
            )
          ).id;
        const system = async (name: string) =>
          (
            await a.systems.create(
              db,
              {
                ...WALK_SYSTEM(''),
                name,
                kind: 'server',
                classification: 'customer',
                ownerId: null,
                levels: ['read', 'write'].map((l) => ({ name: l, privileged: false, description: '' })),
              },
              noAudit,
            )
          ).id;
        const personId = await person('Walk People');
        const listedId = await person('Walk Listed');
        await a.privileged.add(db, listedId, 'walk', seeder, noAudit);
        const unlistedId = await person('Walk Unlisted');
        await person('Walk Apply', 'walk-apply@example.test');
        const systemId = await system('walk-people-system');
        const grant = async (who: string, level: string, approve: boolean) => {
          const g = await a.grants.request(
            db,
            { personId: who, systemId, level, justification: 'walk', expiresAt: null },
            seeder,
            noAudit,
          );
          if (approve) await a.grants.approve(db, g.id, seeder, '', noAudit);
          return g.id;
        };
        return {
          peoplePersonId: personId,
          peopleLeaverId: await person('Walk Leaver'),
          peopleDoomedPersonId: await person('Walk Doomed'),
          peopleUnlistedId: unlistedId,
          peopleListedId: listedId,
          peopleSystemId: systemId,
          peopleDoomedSystemId: await system('walk-people-doomed'),
          peoplePendingGrantId: await grant(personId, 'read', false),
          peopleRejectGrantId: await grant(unlistedId, 'read', false),
          peopleActiveGrantId: await grant(listedId, 'read', true),
          peopleReduceGrantId: await grant(listedId, 'write', true),
        };
      })()),
    };
  });
  afterAll(async () => {
    if (!skip) await t.dispose();
    await walkSlapd?.stop();
  });

  const request = (r: RegisteredRoute, headers: Record<string, string>) => {
    const sample = WRITE_SAMPLES[key(r)]?.(ids) ?? {};
    // A text sample (log lines) goes as text/plain, as a log shipper sends it.
    const text = typeof sample.payload === 'string';
    return t.app.inject({
      method: r.method,
      url: sample.url ?? fillParams(r.url),
      headers: text ? { ...headers, 'content-type': 'text/plain' } : headers,
      ...(isWrite(r) ? { payload: (sample.payload ?? {}) as Record<string, unknown> } : {}),
    });
  };

  it.skipIf(skip)('covers every route, and every write route has a meaningful sample request', () => {
    const guarded = t.routes.filter((r) => r.permission !== 'public' && r.permission !== 'authenticated');
    expect(guarded.length).toBeGreaterThan(5);
    const missing = guarded.filter(
      (r) => isWrite(r) && ROLES.some((role) => !t.policy.roleHas(role, r.permission as Permission)) && !WRITE_SAMPLES[key(r)],
    );
    expect(missing.map(key)).toEqual([]);
  });

  it.skipIf(skip)(
    'answers 403 to every role lacking the permission, and changes nothing',
    async () => {
      let checked = 0;
      for (const r of t.routes) {
        if (r.permission === 'public' || r.permission === 'authenticated') continue;
        for (const role of ROLES) {
          if (t.policy.roleHas(role, r.permission)) continue;
          const before = await snapshotDatabase(t.database, auditOrSession);
          const res = await request(r, sessions.get(role)!.headers);
          expect({ route: key(r), role, status: res.statusCode, code: res.json<{ code?: string }>().code }).toEqual({
            route: key(r),
            role,
            status: 403,
            code: 'permission_denied',
          });
          expect(await snapshotDatabase(t.database, auditOrSession)).toEqual(before);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(10);
      // Each refusal is itself in the audit log (refusals are group-committed: wait for the commit).
      await t.audit.sink.flush();
      const denied = await t.database.db.selectFrom('audit_entries').select('seq').where('outcome', '=', 'denied').execute();
      expect(denied.length).toBeGreaterThanOrEqual(checked);
    },
    120_000,
  );

  it.skipIf(skip)(
    'answers 403 to a token whose scopes lack the permission, even when its owner holds it',
    async () => {
      for (const r of t.routes) {
        if (r.permission === 'public' || r.permission === 'authenticated') continue;
        const perm = r.permission;
        const owner = ROLES.find((role) => t.policy.roleHas(role, perm))!;
        const other = t.policy.forRole(owner).find((p) => p !== perm);
        if (!other) continue;
        const { headers } = await createUserWithToken(t, owner, { scopes: [other] });
        const before = await snapshotDatabase(t.database, auditOrSession);
        const res = await request(r, headers);
        expect({ route: key(r), status: res.statusCode }).toEqual({ route: key(r), status: 403 });
        expect(await snapshotDatabase(t.database, auditOrSession)).toEqual(before);
      }
    },
    120_000,
  );

  it.skipIf(skip)('answers 401 to a caller who is not signed in, on every non-public route', async () => {
    for (const r of t.routes) {
      if (r.permission === 'public') continue;
      const before = await snapshotDatabase(t.database, auditOrSession);
      const res = await request(r, {});
      expect({ route: key(r), status: res.statusCode }).toEqual({ route: key(r), status: 401 });
      expect(await snapshotDatabase(t.database, auditOrSession)).toEqual(before);
    }
  });

  it.skipIf(skip)(
    'lets a caller holding the permission make each sampled change (so the refusals above mean something)',
    async () => {
      for (const r of t.routes.filter(
        (x) => WRITE_SAMPLES[key(x)] && x.permission !== 'public' && x.permission !== 'authenticated',
      )) {
        const role = ROLES.find((ro) => t.policy.roleHas(ro, r.permission as Permission))!;
        const before = await snapshotDatabase(t.database, (n) => n.startsWith('audit_'));
        const res = await request(r, sessions.get(role)!.headers);
        expect({ route: key(r), ok: res.statusCode < 300 }).toEqual({ route: key(r), ok: true });
        // Verifying changes nothing; ingested lines reach the database only as alerts, later, if they attack.
        if (r.url !== '/api/v1/audit/verify' && r.url !== '/api/v1/threats/ingest')
          expect(await snapshotDatabase(t.database, (n) => n.startsWith('audit_'))).not.toEqual(before);
        // A vulns feed refresh re-evaluates in the background: finish it before the next snapshot.
        await t.vulns.idle();
      }
    },
  );
});
