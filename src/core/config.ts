import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Configuration: one zod schema per module (a "section"), filled from an optional JSON config file,
 * then environment variables, then command-line overrides. Every problem in every section is collected
 * and reported at once, naming the key and where it came from.
 */

export type ConfigSection<S extends z.ZodObject = z.ZodObject> = {
  /** Section name: the key in the config file and the env prefix (`SKJOLD_<NAME>_`); `core` has no infix. */
  name: string;
  schema: S;
};

/** Boolean from env text: true/false/1/0/yes/no. */
export const envBool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes'),
]);

export const coreConfig = {
  name: 'core',
  schema: z.object({
    /** Where SQLite, the TLS certificate and the signing keys live. */
    dataDir: z.string().min(1).default('./data'),
    /** Interface to listen on. */
    host: z.string().min(1).default('0.0.0.0'),
    /** HTTPS port. */
    port: z.coerce.number().int().min(0).max(65535).default(8443),
    /** Roles this process runs: api, engine, probe, collector (comma-separated). */
    roles: z
      .string()
      .default('api,engine')
      .refine((s) => s.split(',').every((r) => ['api', 'engine', 'probe', 'collector'].includes(r.trim())), {
        message: 'roles must be a comma-separated list of api, engine, probe, collector',
      }),
    /** postgres://… switches storage to PostgreSQL; empty means SQLite in dataDir. */
    databaseUrl: z
      .string()
      .default('')
      .refine((s) => s === '' || /^postgres(ql)?:\/\//.test(s), { message: 'must be a postgres:// URL or empty' }),
    /** PEM certificate chain; empty means a generated certificate in dataDir. */
    tlsCert: z.string().default(''),
    /** PEM private key matching tlsCert. */
    tlsKey: z.string().default(''),
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Time zone for display and rotations. */
    timeZone: z.string().default('Europe/Copenhagen'),
    /** Seconds in-flight requests get to finish on SIGTERM. */
    shutdownGraceSeconds: z.coerce.number().int().min(1).max(300).default(20),
    /** Largest accepted request body in bytes. */
    bodyLimit: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
  }),
} satisfies ConfigSection;

export type CoreConfig = z.infer<typeof coreConfig.schema>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const constCase = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The environment variable that sets `section.key`. */
export function envName(section: string, key: string): string {
  if (section === 'core' && key === 'databaseUrl') return 'DATABASE_URL';
  return section === 'core' ? `SKJOLD_${constCase(key)}` : `SKJOLD_${constCase(section)}_${constCase(key)}`;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to $SKJOLD_CONFIG when set. */
  file?: string | undefined;
  /** Highest-precedence values, e.g. from CLI flags: `{ core: { port: 9443 } }`. */
  overrides?: Record<string, Record<string, unknown>>;
}

/** Load and validate every section. Throws ConfigError naming every bad key. */
export function loadConfig(sections: readonly ConfigSection[], opts: LoadOptions = {}): Record<string, unknown> {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  let fileData: Record<string, unknown> = {};
  const file = opts.file ?? env['SKJOLD_CONFIG'];
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`${file}: must hold a JSON object with one key per section`);
      } else {
        fileData = parsed as Record<string, unknown>;
        for (const k of Object.keys(fileData)) {
          if (!sections.some((s) => s.name === k)) problems.push(`${file}: unknown section "${k}"`);
        }
      }
    } catch (e) {
      problems.push(`${file}: ${(e as Error).message}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const section of sections) {
    const raw: Record<string, unknown> = {};
    const fromFile = fileData[section.name];
    if (fromFile !== undefined) {
      if (typeof fromFile === 'object' && fromFile !== null && !Array.isArray(fromFile)) Object.assign(raw, fromFile);
      else problems.push(`${file}: section "${section.name}" must be an object`);
    }
    const source: Record<string, string> = {};
    for (const key of Object.keys(raw)) source[key] = `${file} ${section.name}.${key}`;
    for (const key of Object.keys(section.schema.shape)) {
      const name = envName(section.name, key);
      const v = env[name];
      if (v !== undefined && v !== '') {
        raw[key] = v;
        source[key] = name;
      }
    }
    for (const [key, v] of Object.entries(opts.overrides?.[section.name] ?? {})) {
      if (v !== undefined) {
        raw[key] = v;
        source[key] = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      }
    }
    const result = section.schema.strict().safeParse(raw);
    if (result.success) {
      out[section.name] = result.data;
    } else {
      for (const issue of result.error.issues) {
        const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
        if (unknownKeys.length > 0) {
          for (const k of unknownKeys) problems.push(`${source[k] ?? `${section.name}.${k}`}: unknown key`);
          continue;
        }
        const key = String(issue.path[0] ?? '');
        const where = source[key] ?? envName(section.name, key);
        problems.push(`${where} (${section.name}.${key}): ${issue.message}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
