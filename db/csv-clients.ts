// Reads a clients file as Excel and other tools write it (';' or ',', UTF-8 with or without BOM,
// CRLF or LF) into client records, line by line. Pure: no database, so the desk's import and the
// server's admin import read files the same way. A bad line is reported with its physical line
// number and the reading goes on; only a file that cannot be read at all stops it (DeskError).

import { parse as parseRecord } from 'csv-parse/sync';
import { DeskError, foldText, type ErrorCode } from '../contract/index.ts';
import { isStorableText, unstorableCharacter } from '../contract/text.ts';
import type { ClientInput } from './clients.ts';

/** Longest accepted value per field; a longer one rejects the line rather than being cut. */
export const csvLimits = {
  code: 64,
  name: 200,
  phone: 40,
  email: 254,
  city: 120,
  address: 500,
  extra: 500,
  /** A physical line longer than this cannot be a client: it is rejected without being kept whole. */
  lineChars: 64 * 1024,
  /** A quoted value may span lines (an address typed with Alt+Enter), but not more than this. */
  recordLines: 50,
} as const;

export type LineRejectCode = Extract<ErrorCode, `import.line.${string}`>;

export interface LineRejection {
  code: LineRejectCode;
  params: Record<string, string | number>;
}

interface Position {
  /** Physical line number in the file where the record starts; the header is line 1. */
  line: number;
  /** Physical lines and UTF-8 bytes read from the source so far, for progress bars. */
  linesRead: number;
  bytesRead: number;
}

export type ParsedLine = (Position & { client: ClientInput }) | (Position & { rejected: LineRejection });

export type ClientsSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

// ---------------------------------------------------------------------------------------------
// Header: which column is what. Labels are compared folded (accents, case, punctuation ignored).

type Field = 'code' | 'name' | 'firstName' | 'phone' | 'email' | 'city' | 'address';

function headerKey(label: string): string {
  return foldText(label)
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const aliases: Record<Exclude<Field, 'phone'>, string[]> = {
  code: [
    'code client', 'code', 'n client', 'no client', 'num client', 'numero client', 'numero de client', 'client code',
    'id client', 'client id', 'identifiant client', 'ref client', 'reference client', 'customer code', 'customer id',
    'client number', 'customer number',
  ],
  name: [
    'nom', 'raison sociale', 'name', 'nom client', 'nom du client', 'client', 'client name', 'customer name',
    'nom complet', 'full name', 'denomination', 'societe', 'company', 'last name', 'nom de famille',
  ],
  firstName: ['prenom', 'first name', 'firstname', 'given name'],
  email: ['email', 'e mail', 'courriel', 'mail', 'adresse email', 'adresse e mail', 'adresse mail', 'email address', 'e mail address'],
  city: ['ville', 'city', 'commune', 'localite', 'town'],
  address: ['adresse', 'address', 'adresse postale', 'postal address', 'street address', 'rue'],
};

const aliasIndex = new Map<string, Exclude<Field, 'phone'>>(
  Object.entries(aliases).flatMap(([field, names]) => names.map((n) => [n, field as Exclude<Field, 'phone'>] as const)),
);

// Any column whose label contains one of these words holds a phone number: "Téléphone 2",
// "Tél. domicile", "Portable pro", "Mobile", "WhatsApp"…
const phoneWords = new Set(['telephone', 'tel', 'tels', 'telephones', 'mobile', 'portable', 'phone', 'gsm', 'cellulaire', 'cell', 'whatsapp', 'fixe']);

function fieldOf(label: string): Field | null {
  const key = headerKey(label);
  if (!key) return null;
  const exact = aliasIndex.get(key);
  if (exact) return exact;
  if (key.split(' ').some((w) => phoneWords.has(w))) return 'phone';
  return null;
}

interface ColumnMap {
  count: number;
  single: Partial<Record<Exclude<Field, 'phone'>, number>>;
  phones: number[];
  extra: { index: number; label: string }[];
  labels: string[];
}

function mapHeader(labels: string[]): ColumnMap {
  const map: ColumnMap = { count: labels.length, single: {}, phones: [], extra: [], labels };
  const extraNames = new Set<string>();
  let recognised = 0;
  labels.forEach((raw, index) => {
    const label = raw.trim();
    const field = fieldOf(label);
    if (field) recognised++;
    if (field === 'phone') map.phones.push(index);
    else if (field && map.single[field] === undefined) map.single[field] = index;
    else if (label) {
      // A second "Nom" or an unknown column: kept as is, under a name of its own.
      let name = label;
      for (let n = 2; extraNames.has(name); n++) name = `${label} (${n})`;
      extraNames.add(name);
      map.extra.push({ index, label: name });
    }
  });
  // Nothing recognisable at all: the first line is data, or the file is not a clients list.
  if (recognised === 0) throw new DeskError('import.noHeader');
  if (map.single.code === undefined) throw new DeskError('import.missingColumn', { column: 'Code client' });
  if (map.single.name === undefined) throw new DeskError('import.missingColumn', { column: 'Nom' });
  return map;
}

/** ';' (Excel in France), ',' (elsewhere) or tab, whichever the header line uses most outside quotes. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>([[';', 0], [',', 0], ['\t', 0]]);
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ';';
  for (const [ch, n] of counts) if (n > (counts.get(best) ?? 0)) best = ch;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Bytes -> text -> physical lines.

function encodingError(): DeskError {
  return new DeskError('import.encoding');
}

/** UTF-8 text of the source; a byte sequence that is not UTF-8 (Windows-1252, UTF-16) stops the reading. */
async function* decode(source: ClientsSource): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw encodingError();
      }
    }
    // File.text() in the renderer turns bad bytes into U+FFFD: the same mistake, seen later.
    if (text.includes('\uFFFD')) throw encodingError();
    if (text) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw encodingError();
  }
  if (rest.includes('\uFFFD')) throw encodingError();
  if (rest) yield rest;
}

interface PhysicalLine {
  number: number;
  text: string;
  /** True when the line was longer than csvLimits.lineChars; `text` is then only its start. */
  overlong: boolean;
}

interface Counter {
  lines: number;
  bytes: number;
}

/** Splits on CRLF, LF or CR, counting lines and bytes; the BOM is dropped and counted. */
async function* physicalLines(text: AsyncIterable<string>, counter: Counter): AsyncGenerator<PhysicalLine> {
  let pending = '';
  let overlong = false;
  let first = true;
  const emit = (body: string, terminatorBytes: number): PhysicalLine => {
    counter.lines++;
    counter.bytes += Buffer.byteLength(body, 'utf8') + terminatorBytes;
    const tooLong = overlong || body.length > csvLimits.lineChars;
    const line = { number: counter.lines, text: tooLong ? body.slice(0, csvLimits.lineChars) : body, overlong: tooLong };
    overlong = false;
    return line;
  };
  for await (let chunk of text) {
    if (first) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) {
        chunk = chunk.slice(1);
        counter.bytes += 3;
      }
    }
    let buffer = pending + chunk;
    let start = 0;
    for (;;) {
      const lf = buffer.indexOf('\n', start);
      const cr = buffer.indexOf('\r', start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (buffer[end] === '\r' && end === buffer.length - 1) break;
      const terminator = buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1;
      yield emit(buffer.slice(start, end), terminator);
      start = end + terminator;
    }
    pending = buffer.slice(start);
    buffer = '';
    if (pending.length > csvLimits.lineChars) {
      // Keep counting its bytes but not its text: a 60 MB line must not sit in memory twice.
      counter.bytes += Buffer.byteLength(pending.slice(csvLimits.lineChars), 'utf8');
      pending = pending.slice(0, csvLimits.lineChars + 1);
      overlong = true;
    }
  }
  if (pending.endsWith('\r')) {
    yield emit(pending.slice(0, -1), 1);
  } else if (pending) {
    yield emit(pending, 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Physical lines -> records. A quoted value may hold line breaks, so a record is complete when it
// holds an even number of quote characters. A quote left open would otherwise swallow every line
// after it: when the record grows past csvLimits.recordLines, the file ends inside it, or it does
// not parse as one record, its first line is rejected and reading resumes on the line after it.

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n;
}

interface RawRecord {
  lines: PhysicalLine[];
}

class LineReader {
  private readonly queue: PhysicalLine[] = [];
  private readonly source: AsyncIterator<PhysicalLine>;
  constructor(source: AsyncIterator<PhysicalLine>) {
    this.source = source;
  }
  async next(): Promise<PhysicalLine | null> {
    const queued = this.queue.shift();
    if (queued) return queued;
    const { value, done } = await this.source.next();
    return done ? null : value;
  }
  /** Puts lines back to be read again, in order, before anything else. */
  unread(lines: PhysicalLine[]): void {
    this.queue.unshift(...lines);
  }
}

type Assembled = { kind: 'record'; record: RawRecord } | { kind: 'unclosed'; line: PhysicalLine };

async function assemble(reader: LineReader): Promise<Assembled | null> {
  const first = await reader.next();
  if (!first) return null;
  if (first.overlong || countQuotes(first.text) % 2 === 0) return { kind: 'record', record: { lines: [first] } };
  const lines = [first];
  let quotes = countQuotes(first.text);
  while (quotes % 2 === 1) {
    const next = lines.length < csvLimits.recordLines ? await reader.next() : null;
    if (!next || next.overlong) {
      if (next) reader.unread([next]);
      reader.unread(lines.slice(1));
      return { kind: 'unclosed', line: first };
    }
    lines.push(next);
    quotes += countQuotes(next.text);
  }
  return { kind: 'record', record: { lines } };
}

/** The fields of one record; null when its quoting is broken. */
function splitFields(text: string, delimiter: string): string[] | null {
  if (!text.includes('"')) return text.split(delimiter);
  try {
    const rows = parseRecord(text, { delimiter, relax_column_count: true, record_delimiter: ['\n'], skip_empty_lines: false });
    return rows.length === 1 && rows[0] ? rows[0] : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Fields -> client.

const singleLineFields = ['code', 'name', 'firstName', 'email', 'city'] as const;

function isBlank(fields: string[]): boolean {
  return fields.every((f) => f.trim() === '');
}

type Built = { client: ClientInput } | { rejected: LineRejection } | { brokenQuoting: true };

function buildClient(fields: string[], map: ColumnMap, multiLine: boolean, seen: Map<string, number>, line: number): Built {
  if (fields.length !== map.count) {
    // Excel adds empty trailing cells after a column that once held data: harmless.
    const trailingBlank = fields.length > map.count && fields.slice(map.count).every((f) => f.trim() === '');
    if (!trailingBlank) {
      if (multiLine) return { brokenQuoting: true };
      return { rejected: { code: 'import.line.columnCount', params: { found: fields.length, expected: map.count } } };
    }
  }
  const cell = (index: number | undefined) => (index === undefined ? '' : (fields[index] ?? '').trim());
  const label = (index: number | undefined) => (index === undefined ? '' : (map.labels[index] ?? '').trim());

  // The text rule of every store (contract/text.ts): this line is refused, the others go in.
  const unstorable = fields.findIndex((f) => !isStorableText(f));
  if (unstorable >= 0) {
    return { rejected: { code: 'import.line.unstorable', params: { column: label(unstorable) || String(unstorable + 1), char: unstorableCharacter(fields[unstorable]!) ?? '?' } } };
  }

  // A line break is only credible inside an address or a free column: elsewhere it means a quote
  // was left open and swallowed the next lines.
  if (multiLine && singleLineFields.some((f) => /[\r\n]/.test(cell(map.single[f])))) return { brokenQuoting: true };
  if (multiLine && map.phones.some((i) => /[\r\n]/.test(cell(i)))) return { brokenQuoting: true };

  const tooLong = (index: number | undefined, max: number): LineRejection | null =>
    cell(index).length > max ? { code: 'import.line.tooLong', params: { column: label(index) } } : null;

  const code = cell(map.single.code);
  if (!code) return { rejected: { code: 'import.line.missingCode', params: {} } };
  const lastName = cell(map.single.name);
  const firstName = cell(map.single.firstName);
  const name = [lastName, firstName].filter(Boolean).join(' ');
  if (!name) return { rejected: { code: 'import.line.missingName', params: {} } };

  const checks = [
    tooLong(map.single.code, csvLimits.code),
    tooLong(map.single.name, csvLimits.name),
    tooLong(map.single.firstName, csvLimits.name),
    tooLong(map.single.email, csvLimits.email),
    tooLong(map.single.city, csvLimits.city),
    tooLong(map.single.address, csvLimits.address),
    ...map.phones.map((i) => tooLong(i, csvLimits.phone)),
    ...map.extra.map((e) => tooLong(e.index, csvLimits.extra)),
  ];
  const failed = checks.find((c) => c !== null);
  if (failed) return { rejected: failed };
  if (name.length > csvLimits.name) return { rejected: { code: 'import.line.tooLong', params: { column: label(map.single.name) } } };

  const first = seen.get(code);
  if (first !== undefined) return { rejected: { code: 'import.line.duplicateCode', params: { first } } };
  seen.set(code, line);

  const phones = [...new Set(map.phones.map((i) => cell(i)).filter(Boolean))];
  const extra: Record<string, string> = {};
  for (const { index, label: name } of map.extra) {
    const value = cell(index);
    if (value) extra[name] = value;
  }
  return {
    client: {
      code,
      name,
      phones,
      email: cell(map.single.email) || null,
      city: cell(map.single.city) || null,
      address: cell(map.single.address) || null,
      extra,
    },
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Yields one entry per data line of the file: a client, or the reason the line was rejected.
 * Throws DeskError for a file that cannot be read at all: not UTF-8 (import.encoding), no header
 * (import.noHeader), no code or name column (import.missingColumn), unreadable header
 * (import.malformed). Blank lines are skipped. Codes are unique within the file: the later line
 * with a code already seen is rejected.
 */
export async function* parseClientsCsv(source: ClientsSource): AsyncGenerator<ParsedLine> {
  const counter: Counter = { lines: 0, bytes: 0 };
  const reader = new LineReader(physicalLines(decode(source), counter)[Symbol.asyncIterator]());
  const position = (line: number): Position => ({ line, linesRead: counter.lines, bytesRead: counter.bytes });

  const headerLine = await reader.next();
  if (!headerLine || headerLine.text.trim() === '') throw new DeskError('import.noHeader');
  if (headerLine.overlong) throw new DeskError('import.malformed', { line: 1, details: 'en-tête trop long / header too long' });
  const delimiter = detectDelimiter(headerLine.text);
  const headerFields = splitFields(headerLine.text, delimiter);
  if (!headerFields) throw new DeskError('import.malformed', { line: 1, details: 'guillemets / quotes' });
  const map = mapHeader(headerFields);

  const seen = new Map<string, number>();
  for (;;) {
    const assembled = await assemble(reader);
    if (!assembled) return;
    if (assembled.kind === 'unclosed') {
      yield { ...position(assembled.line.number), rejected: { code: 'import.line.quoting', params: {} } };
      continue;
    }
    const { lines } = assembled.record;
    const first = lines[0] as PhysicalLine;
    if (first.overlong) {
      yield { ...position(first.number), rejected: { code: 'import.line.lineTooLong', params: { max: csvLimits.lineChars } } };
      continue;
    }
    const multiLine = lines.length > 1;
    const fields = splitFields(lines.map((l) => l.text).join('\n'), delimiter);
    const built = fields === null ? ({ brokenQuoting: true } as const) : isBlank(fields) ? null : buildClient(fields, map, multiLine, seen, first.number);
    if (built === null) continue;
    if ('brokenQuoting' in built) {
      // Resynchronise: only the line that opened the quote is lost; the ones after it are read again.
      reader.unread(lines.slice(1));
      yield { ...position(first.number), rejected: { code: 'import.line.quoting', params: {} } };
      continue;
    }
    yield 'client' in built ? { ...position(first.number), client: built.client } : { ...position(first.number), rejected: built.rejected };
  }
}
