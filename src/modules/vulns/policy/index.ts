/** The vulnerability module's pure policy: CVSS, priority, SLA, VEX export, patching metrics (issue 5 items 10, 11, 13). */
export * from './cvss.ts';
export * from './priority.ts';
export * from './sla.ts';
export * from './purl.ts';
export * from './vex.ts';
export * from './vex.schema.ts';
export * from './metrics.ts';
