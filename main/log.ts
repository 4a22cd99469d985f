// The desk's log file, for IT and support: rotating files in the user's data folder (logs/desk.log,
// 2 MB each, the five previous kept as desk.1.log … desk.5.log). What is written is chosen where it
// is written (start, versions, database, sync state changes, errors with their cause, refused IPC
// senders), never a client's data; and every line goes through a scrubber that blanks access
// tokens, the policy's enrolment code and anything that looks like a bearer credential, in case an
// error message carries one.

import { existsSync, renameSync, rmSync } from 'node:fs';
import { join, parse } from 'node:path';
import electronLog from 'electron-log/node';
import type { LogLevel } from './policy.ts';

export const logFileName = 'desk.log';
export const keptLogFiles = 5;
export const logMaxBytes = 2 * 1024 * 1024;

export interface DeskLog {
  readonly file: string;
  readonly dir: string;
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
  setLevel(level: LogLevel): void;
  /** A value that must never appear in the log (a token the agent typed, the enrolment code). */
  forget(secret: string): void;
  /** Every log file, newest first (for the diagnostic). */
  files(): string[];
}

const credentialPatterns: RegExp[] = [
  /(\bbearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
  /((?:token|jeton|authorization|enrolmentCode|enrolment-code|password)["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi,
];

export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[secret]');
  for (const pattern of credentialPatterns) out = out.replace(pattern, '$1[secret]');
  return out;
}

function rotatedName(file: string, n: number): string {
  const { dir, name, ext } = parse(file);
  return join(dir, `${name}.${n}${ext}`);
}

let nextLogId = 1;

export function openDeskLog(options: { dir: string; level: LogLevel; console?: boolean; maxBytes?: number }): DeskLog {
  const file = join(options.dir, logFileName);
  const secrets = new Set<string>();
  const log = electronLog.create({ logId: `desk-${nextLogId++}` });
  const transport = log.transports.file;
  transport.resolvePathFn = () => file;
  transport.maxSize = options.maxBytes ?? logMaxBytes;
  transport.level = options.level;
  transport.format = '[{y}-{m}-{d} {h}:{i}:{s}.{ms}] [{level}] {text}';
  transport.archiveLogFn = (current) => {
    const path = current.toString();
    rmSync(rotatedName(path, keptLogFiles), { force: true });
    for (let n = keptLogFiles - 1; n >= 1; n -= 1) {
      const from = rotatedName(path, n);
      if (existsSync(from)) renameSync(from, rotatedName(path, n + 1));
    }
    renameSync(path, rotatedName(path, 1));
  };
  log.transports.console.level = options.console ? options.level : false;
  // Errors are written with their cause chain and stack, then scrubbed like any line.
  log.hooks.push((message) => {
    message.data = message.data.map((item) => scrub(typeof item === 'string' ? item : describeValue(item), secrets));
    return message;
  });
  const write = (level: LogLevel) => (text: string, ...details: unknown[]) => log[level](text, ...details);
  return {
    file,
    dir: options.dir,
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    setLevel: (level) => {
      transport.level = level;
      if (log.transports.console.level !== false) log.transports.console.level = level;
    },
    forget: (secret) => {
      if (secret.trim()) secrets.add(secret.trim());
    },
    files: () => [file, ...Array.from({ length: keptLogFiles }, (_, i) => rotatedName(file, i + 1))].filter((f) => existsSync(f)),
  };
}

/** An error as support needs it: name, message, code, stack, and its causes. */
export function describeValue(value: unknown, depth = 0): string {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const head = `${value.stack ?? `${value.name}: ${value.message}`}${code ? ` [${String(code)}]` : ''}`;
    return value.cause !== undefined && depth < 4 ? `${head}\n  caused by: ${describeValue(value.cause, depth + 1)}` : head;
  }
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
