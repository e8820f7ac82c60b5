/**
 * Zod schemas of the two VEX formats, written from the specifications (CycloneDX 1.6 JSON schema, the subset a VEX
 * document uses; OpenVEX v0.2.0 JSON schema). The exporters' tests hold their output to them, and an importer of
 * VEX documents can use them to reject bad input precisely. Objects are strict where the specifications forbid
 * additional properties.
 */
import { z } from 'zod';

import { NOT_AFFECTED_JUSTIFICATIONS } from '../model.ts';
import { CDX_ANALYSIS_STATES, CDX_JUSTIFICATIONS, CDX_RESPONSES, OPENVEX_CONTEXT, OPENVEX_STATUSES } from './vex.ts';

const isoTime = z.iso.datetime({ offset: true });
const property = z.strictObject({ name: z.string().min(1), value: z.string().optional() });
const source = z.strictObject({ name: z.string().optional(), url: z.url().optional() });

const cdxComponent = z.looseObject({
  type: z.enum([
    'application',
    'framework',
    'library',
    'container',
    'platform',
    'operating-system',
    'device',
    'device-driver',
    'firmware',
    'file',
    'machine-learning-model',
    'data',
    'cryptographic-asset',
  ]),
  name: z.string().min(1),
  'bom-ref': z.string().min(1).optional(),
  version: z.string().optional(),
  purl: z.string().startsWith('pkg:').optional(),
  properties: z.array(property).optional(),
});

const cdxVulnerability = z.strictObject({
  'bom-ref': z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  source: source.optional(),
  references: z.array(z.strictObject({ id: z.string().min(1), source })).optional(),
  ratings: z
    .array(
      z.strictObject({
        source: source.optional(),
        score: z.number().min(0).max(10).optional(),
        severity: z.enum(['critical', 'high', 'medium', 'low', 'info', 'none', 'unknown']).optional(),
        method: z.enum(['CVSSv2', 'CVSSv3', 'CVSSv31', 'CVSSv4', 'OWASP', 'SSVC', 'other']).optional(),
        vector: z.string().optional(),
        justification: z.string().optional(),
      }),
    )
    .optional(),
  description: z.string().optional(),
  affects: z
    .array(
      z.strictObject({
        ref: z.string().min(1),
        versions: z
          .array(
            z.union([
              z.strictObject({ version: z.string().min(1), status: z.enum(['affected', 'unaffected', 'unknown']).optional() }),
              z.strictObject({ range: z.string().min(1), status: z.enum(['affected', 'unaffected', 'unknown']).optional() }),
            ]),
          )
          .optional(),
      }),
    )
    .optional(),
  analysis: z
    .strictObject({
      state: z.enum(CDX_ANALYSIS_STATES).optional(),
      justification: z.enum(CDX_JUSTIFICATIONS).optional(),
      response: z.array(z.enum(CDX_RESPONSES)).optional(),
      detail: z.string().optional(),
      firstIssued: isoTime.optional(),
      lastUpdated: isoTime.optional(),
    })
    .optional(),
  properties: z.array(property).optional(),
});

/** A CycloneDX 1.5/1.6 VEX document: BOM header, components the vulnerabilities refer to, vulnerabilities. */
export const cycloneDxVexSchema = z
  .strictObject({
    bomFormat: z.literal('CycloneDX'),
    specVersion: z.enum(['1.5', '1.6']),
    serialNumber: z.string().regex(/^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/),
    version: z.int().min(1),
    metadata: z.looseObject({ timestamp: isoTime }),
    components: z.array(cdxComponent).optional(),
    vulnerabilities: z.array(cdxVulnerability),
  })
  .superRefine((doc, ctx) => {
    // Every `affects[].ref` must name a component of the document, and bom-refs must be unique.
    const refs = new Set<string>();
    for (const [i, c] of (doc.components ?? []).entries()) {
      const ref = c['bom-ref'];
      if (ref === undefined) continue;
      if (refs.has(ref)) ctx.addIssue({ code: 'custom', message: `duplicate bom-ref ${ref}`, path: ['components', i] });
      refs.add(ref);
    }
    doc.vulnerabilities.forEach((v, i) => {
      v.affects?.forEach((a, j) => {
        if (!refs.has(a.ref))
          ctx.addIssue({ code: 'custom', message: `unknown ref ${a.ref}`, path: ['vulnerabilities', i, 'affects', j, 'ref'] });
      });
    });
  });

const openVexStatement = z
  .strictObject({
    '@id': z.string().optional(),
    version: z.int().min(1).optional(),
    vulnerability: z.strictObject({
      '@id': z.string().optional(),
      name: z.string().min(1),
      description: z.string().optional(),
      aliases: z
        .array(z.string())
        .refine((a) => new Set(a).size === a.length, 'aliases must be unique')
        .optional(),
    }),
    timestamp: isoTime.optional(),
    last_updated: isoTime.optional(),
    products: z.array(z.strictObject({ '@id': z.string().min(1) })).optional(),
    status: z.enum(OPENVEX_STATUSES),
    supplier: z.string().optional(),
    status_notes: z.string().optional(),
    justification: z.enum(NOT_AFFECTED_JUSTIFICATIONS).optional(),
    impact_statement: z.string().optional(),
    action_statement: z.string().optional(),
    action_statement_timestamp: isoTime.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.status === 'not_affected' && (s.justification === undefined) === (s.impact_statement === undefined))
      ctx.addIssue({ code: 'custom', message: 'not_affected needs exactly one of justification and impact_statement' });
    if (s.status === 'affected' && s.action_statement === undefined)
      ctx.addIssue({ code: 'custom', message: 'affected needs an action_statement', path: ['action_statement'] });
  });

/** An OpenVEX v0.2.0 document. */
export const openVexSchema = z.strictObject({
  '@context': z.literal(OPENVEX_CONTEXT),
  '@id': z.string().min(1),
  author: z.string().min(1),
  role: z.string().optional(),
  timestamp: isoTime,
  last_updated: isoTime.optional(),
  version: z.int().min(1),
  tooling: z.string().optional(),
  statements: z.array(openVexStatement).min(1),
});
