// The site's policy: what IT fixes for every desk of a site, from a machine-wide file only an
// administrator can write, or from the command line of the shortcut it deploys. Each option is
// checked on its own: a typo in one key costs that key, never the others nor the start of the app.
// Values from the file win over the command line (an agent can edit a shortcut, not the file).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { text } from '../contract/text-schema.ts';

export const logLevels = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];

const webUrl = z.url({ protocol: /^https?$/, error: 'adresse http(s):// attendue / an http(s):// address is expected' });

const onOff = z.boolean({ error: 'true ou false attendu / true or false expected' });

/** One schema per option, so that each is accepted or refused on its own. */
export const policyOptions = {
  serverUrl: webUrl,
  enrolmentCode: text().trim().min(1, { error: 'code vide / empty code' }).max(4096),
  language: z.enum(['fr', 'en'], { error: '"fr" ou "en" attendu / "fr" or "en" expected' }),
  singleKeyShortcuts: onOff,
  /** Minutes without activity before the desk locks (0: never). */
  lockDelayMinutes: z
    .int({ error: 'nombre entier de minutes attendu / a whole number of minutes is expected' })
    .min(0, { error: 'au moins 0 / at least 0' })
    .max(24 * 60, { error: 'au plus 1440 (24 h) / at most 1440 (24 h)' }),
  logLevel: z.enum(logLevels, { error: `une valeur parmi / one of: ${logLevels.join(', ')}` }),
  updateUrl: webUrl,
  /** false: the desk never looks for updates (IT deploys them itself). */
  autoUpdate: onOff,
  /** Plain http:// to the server allowed for a host other than this one (a lab, a VPN). */
  allowPlainHttp: onOff,
  /** Where crash reports are uploaded; without it minidumps stay on the PC. */
  crashReportUrl: webUrl,
} as const;

export type PolicyKey = keyof typeof policyOptions;
export type Policy = { [K in PolicyKey]?: z.output<(typeof policyOptions)[K]> };
export const policyKeys = Object.keys(policyOptions) as PolicyKey[];

export interface PolicyProblem {
  source: string;
  key: string | null;
  message: string;
}

export interface PolicyInForce {
  policy: Policy;
  /** Where each option in force came from. */
  sources: Partial<Record<PolicyKey, 'file' | 'command line'>>;
  file: string;
  problems: PolicyProblem[];
}

/** The machine-wide file, by platform. */
export function policyFilePath(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return join(env.ProgramData ?? env.PROGRAMDATA ?? 'C:\\ProgramData', 'Notification Desk', 'policy.json');
  if (platform === 'darwin') return '/Library/Application Support/Notification Desk/policy.json';
  return '/etc/notification-desk/policy.json';
}

/** The command line's names for the options (kebab-case, as IT types them in a shortcut). */
export const commandLineNames: Record<PolicyKey, string> = {
  serverUrl: 'server-url',
  enrolmentCode: 'enrolment-code',
  language: 'language',
  singleKeyShortcuts: 'single-key-shortcuts',
  lockDelayMinutes: 'lock-delay',
  logLevel: 'log-level',
  updateUrl: 'update-url',
  autoUpdate: 'auto-update',
  allowPlainHttp: 'allow-plain-http',
  crashReportUrl: 'crash-report-url',
};

const booleanKeys = new Set<PolicyKey>(['singleKeyShortcuts', 'autoUpdate', 'allowPlainHttp']);

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => issue.message).join('; ');
}

function acceptEach(raw: Record<string, unknown>, source: string, problems: PolicyProblem[]): Policy {
  const accepted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const schema = (policyOptions as Record<string, z.ZodType>)[key];
    if (!schema) {
      problems.push({ source, key, message: `option inconnue, ignorée / unknown option, ignored (attendu / expected: ${policyKeys.join(', ')})` });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) accepted[key] = parsed.data;
    else problems.push({ source, key, message: describe(parsed.error) });
  }
  return accepted as Policy;
}

export function readPolicyFile(file: string, problems: PolicyProblem[]): Policy {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    // No file is the usual case: a site without a policy.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    problems.push({ source: file, key: null, message: `illisible / unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    problems.push({ source: file, key: null, message: `JSON invalide / invalid JSON (${(error as Error).message})` });
    return {};
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ source: file, key: null, message: 'un objet JSON { … } est attendu / a JSON object { … } is expected' });
    return {};
  }
  return acceptEach(raw as Record<string, unknown>, file, problems);
}

export interface CommandLine {
  policy: Policy;
  /** --export-diagnostics FILE: write the diagnostic zip and quit, without opening a window. */
  exportDiagnostics: string | null;
}

/** Reads the options among Electron's and Chromium's own switches (which are left alone). */
export function readCommandLine(argv: string[], problems: PolicyProblem[]): CommandLine {
  const options: Record<string, { type: 'string' }> = { 'export-diagnostics': { type: 'string' } };
  for (const name of Object.values(commandLineNames)) options[name] = { type: 'string' };
  const { values } = parseArgs({ args: argv, options, strict: false, allowPositionals: true });
  const raw: Record<string, unknown> = {};
  for (const key of policyKeys) {
    const value = values[commandLineNames[key]];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      problems.push({ source: 'command line', key, message: `--${commandLineNames[key]}=… attend une valeur / needs a value` });
      continue;
    }
    raw[key] = booleanKeys.has(key) ? parseSwitch(value) : key === 'lockDelayMinutes' && /^\d+$/.test(value) ? Number(value) : value;
  }
  const exportDiagnostics = values['export-diagnostics'];
  return { policy: acceptEach(raw, 'command line', problems), exportDiagnostics: typeof exportDiagnostics === 'string' && exportDiagnostics ? exportDiagnostics : null };
}

function parseSwitch(value: string): boolean | string {
  const lowered = value.trim().toLowerCase();
  if (['on', 'true', 'yes', 'oui', '1'].includes(lowered)) return true;
  if (['off', 'false', 'no', 'non', '0'].includes(lowered)) return false;
  return value;
}

export function loadPolicy(input: { file: string; argv: string[] }): PolicyInForce & { exportDiagnostics: string | null } {
  const problems: PolicyProblem[] = [];
  const fromFile = readPolicyFile(input.file, problems);
  const fromCommandLine = readCommandLine(input.argv, problems);
  const policy: Record<string, unknown> = {};
  const sources: PolicyInForce['sources'] = {};
  for (const key of policyKeys) {
    if (fromFile[key] !== undefined) {
      policy[key] = fromFile[key];
      sources[key] = 'file';
      if (fromCommandLine.policy[key] !== undefined && fromCommandLine.policy[key] !== fromFile[key]) {
        problems.push({ source: 'command line', key, message: `ignorée : fixée par ${input.file} / ignored: set by ${input.file}` });
      }
    } else if (fromCommandLine.policy[key] !== undefined) {
      policy[key] = fromCommandLine.policy[key];
      sources[key] = 'command line';
    }
  }
  return { policy: policy as Policy, sources, file: input.file, problems, exportDiagnostics: fromCommandLine.exportDiagnostics };
}

/** The policy as it may be written in a log or a diagnostic: the enrolment code is a secret. */
export function policyForReport(policy: Policy): Record<string, unknown> {
  const { enrolmentCode, ...rest } = policy;
  return enrolmentCode === undefined ? rest : { ...rest, enrolmentCode: '[secret]' };
}

/** One text for the dialog and the log: which option, from where, what is wrong. */
export function describeProblems(problems: PolicyProblem[]): string {
  return problems.map((p) => `• ${p.source}${p.key ? ` → ${p.key}` : ''} : ${p.message}`).join('\n');
}
