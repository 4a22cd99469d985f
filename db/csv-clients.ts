// Reads a clients file as Excel and other tools write it (';', ',' or tab; UTF-8 with or without
// BOM, Windows-1252 or UTF-16; CRLF or LF) into client records, line by line. Pure: no database, so the desk's import and the
// server's admin import read files the same way. A bad line is reported with its physical line
// number and the reading goes on; only a file that cannot be read at all stops it (DeskError).

import { isAscii } from 'node:buffer';
import { parse as parseRecord } from 'csv-parse/sync';
import { DeskError, foldText, type ErrorCode, type ImportEncoding } from '../contract/index.ts';
import { isStorableText, unstorableCharacter } from '../contract/text.ts';
import type { ClientInput } from './clients.ts';
import { SeenCodes } from './seen-codes.ts';

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
// Bytes -> text. Excel (France) saves "CSV UTF-8" (BOM), "CSV (séparateur : point-virgule)" in
// Windows-1252 and "Texte Unicode" in UTF-16LE with a BOM; other tools write UTF-8 without one. The
// encoding is the BOM's; without one, the bytes are UTF-8 if they are valid UTF-8, else
// Windows-1252 (a superset of Latin-1 whose every byte is a character, so it never fails). The
// choice is made on the first non-ASCII chunk and kept: ASCII reads the same in all three.

export type FileEncoding = ImportEncoding;

/** What the reading found out about the file, filled in as it goes (the summary shows it). */
export interface ReadInfo {
  encoding: FileEncoding;
}

function encodingError(): DeskError {
  return new DeskError('import.encoding');
}

function bytesOf(chunk: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Decodes bytes in the detected encoding, keeping one streaming decoder for the whole file. */
class Decoder {
  private decoder: InstanceType<typeof TextDecoder> | null = null;
  private mode: 'start' | 'ascii' | 'decided' = 'start';
  /** Bytes held back at the start until there are enough to tell a BOM (at most 3). */
  private head: Buffer | null = null;
  /** Bytes from the first non-ASCII one, held while too few to tell UTF-8 from Windows-1252. */
  private held: Buffer | null = null;
  /** Bytes of the BOM skipped, counted towards bytesRead. */
  bomBytes = 0;

  private readonly info: ReadInfo;

  constructor(info: ReadInfo) {
    this.info = info;
  }

  private decide(encoding: FileEncoding): void {
    this.info.encoding = encoding;
    this.decoder = new TextDecoder(encoding, { fatal: encoding === 'utf-8', ignoreBOM: true });
    this.mode = 'decided';
  }

  private run(bytes: Buffer, stream: boolean): string {
    try {
      return this.decoder!.decode(bytes, { stream });
    } catch {
      // Valid UTF-8 earlier in the file, then bytes that are not: a file of two encodings.
      throw encodingError();
    }
  }

  push(chunk: Buffer, stream = true): string {
    if (this.mode === 'start') {
      const bytes = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      if (bytes.length < 3 && stream) {
        this.head = bytes;
        return '';
      }
      this.head = null;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
        this.bomBytes = 3;
        this.decide('utf-8');
        return this.run(bytes.subarray(3), stream);
      }
      if (bytes[0] === 0xff && bytes[1] === 0xfe) {
        this.bomBytes = 2;
        this.decide('utf-16le');
        return this.run(bytes.subarray(2), stream);
      }
      if (bytes[0] === 0xfe && bytes[1] === 0xff) {
        this.bomBytes = 2;
        this.decide('utf-16be');
        return this.run(bytes.subarray(2), stream);
      }
      // UTF-16 without a BOM: a header of Latin letters has a zero byte beside each one.
      if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[2] !== 0 && bytes[3] === 0) {
        this.decide('utf-16le');
        return this.run(bytes, stream);
      }
      this.mode = 'ascii';
      chunk = bytes;
    }
    if (this.mode === 'ascii') {
      if (this.held) {
        chunk = Buffer.concat([this.held, chunk]);
        this.held = null;
      }
      if (isAscii(chunk)) return chunk.toString('latin1');
      let first = 0;
      while ((chunk[first] ?? 0) < 0x80) first++;
      // "é" at the very end of a chunk: one byte of Windows-1252, or the start of a UTF-8 sequence
      // the next chunk completes. Decide on a whole sequence (UTF-8's longest is 4 bytes).
      if (stream && chunk.length - first < 4) {
        this.held = chunk.subarray(first);
        return chunk.toString('latin1', 0, first);
      }
      const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      try {
        const text = utf8.decode(chunk, { stream });
        this.info.encoding = 'utf-8';
        this.decoder = utf8;
        this.mode = 'decided';
        return text;
      } catch {
        this.decide('windows-1252');
        return this.run(chunk, stream);
      }
    }
    return this.run(chunk, stream);
  }

  end(): string {
    if (this.mode === 'start') return this.head ? this.push(Buffer.alloc(0), false) : '';
    if (this.mode === 'ascii') return this.held ? this.push(Buffer.alloc(0), false) : '';
    return this.run(Buffer.alloc(0), false);
  }

  /** Bytes that `text` took in the file, for the progress bar. */
  byteLength(text: string): number {
    switch (this.info.encoding) {
      case 'windows-1252':
        return text.length;
      case 'utf-16le':
      case 'utf-16be':
        return text.length * 2;
      default:
        return Buffer.byteLength(text, 'utf8');
    }
  }
}

interface PhysicalLine {
  number: number;
  text: string;
  /** True when the line was longer than csvLimits.lineChars; `text` is then only its start. */
  overlong: boolean;
  /** Physical lines and bytes read from the source up to the end of this line. */
  linesRead: number;
  bytesRead: number;
}

/** Splits text on CRLF, LF or CR, counting lines and bytes; a BOM at the very start is dropped and counted. */
class LineSplitter {
  private pending = '';
  private overlong = false;
  private first = true;
  lines = 0;
  bytes = 0;

  private readonly byteLength: (text: string) => number;

  constructor(byteLength: (text: string) => number) {
    this.byteLength = byteLength;
  }

  private emit(out: PhysicalLine[], body: string, terminatorChars: number): void {
    this.lines++;
    this.bytes += this.byteLength(body) + (terminatorChars ? this.byteLength(terminatorChars === 2 ? '\r\n' : '\n') : 0);
    const tooLong = this.overlong || body.length > csvLimits.lineChars;
    out.push({
      number: this.lines,
      text: tooLong ? body.slice(0, csvLimits.lineChars) : body,
      overlong: tooLong,
      linesRead: this.lines,
      bytesRead: this.bytes,
    });
    this.overlong = false;
  }

  push(chunk: string, out: PhysicalLine[]): void {
    if (this.first && chunk) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) {
        // A string source (the page's File.text()) may still hold the BOM.
        chunk = chunk.slice(1);
        this.bytes += 3;
      }
    }
    const buffer = this.pending + chunk;
    let start = 0;
    // Next CR and LF at or after `start`, each searched again only once passed: a file of LF
    // alone must not be scanned to its end for a CR at every line.
    let lf = buffer.indexOf('\n', start);
    let cr = buffer.indexOf('\r', start);
    for (;;) {
      if (lf !== -1 && lf < start) lf = buffer.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (end === cr && end === buffer.length - 1) break;
      const terminator = end === cr && lf === end + 1 ? 2 : 1;
      this.emit(out, buffer.slice(start, end), terminator);
      start = end + terminator;
    }
    this.pending = buffer.slice(start);
    if (this.pending.length > csvLimits.lineChars) {
      // Keep counting its bytes but not its text: a 60 MB line must not sit in memory twice.
      this.bytes += this.byteLength(this.pending.slice(csvLimits.lineChars));
      this.pending = this.pending.slice(0, csvLimits.lineChars + 1);
      this.overlong = true;
    }
  }

  end(out: PhysicalLine[]): void {
    if (this.pending.endsWith('\r')) this.emit(out, this.pending.slice(0, -1), 1);
    else if (this.pending) this.emit(out, this.pending, 0);
    this.pending = '';
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

function buildClient(fields: string[], map: ColumnMap, multiLine: boolean, seen: SeenCodes, line: number): Built {
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

  const first = seen.firstSeen(code, line);
  if (first !== undefined) return { rejected: { code: 'import.line.duplicateCode', params: { first } } };

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

/** The entries of one stretch of the file, and how far the reading got (lines and bytes). */
export interface ParsedBatch {
  entries: ParsedLine[];
  linesRead: number;
  bytesRead: number;
}

/** Physical lines -> entries, synchronously, holding back a record that is not complete yet. */
class RecordParser {
  private queue: PhysicalLine[] = [];
  private head = 0;
  private delimiter = ';';
  private map: ColumnMap | null = null;
  private readonly seen = new SeenCodes();

  private reject(out: ParsedLine[], line: PhysicalLine, rejected: LineRejection): void {
    out.push({ line: line.number, linesRead: line.linesRead, bytesRead: line.bytesRead, rejected });
  }

  private readHeader(headerLine: PhysicalLine): void {
    if (headerLine.text.trim() === '') throw new DeskError('import.noHeader');
    if (headerLine.overlong) throw new DeskError('import.malformed', { line: 1, details: 'en-tête trop long / header too long' });
    this.delimiter = detectDelimiter(headerLine.text);
    const headerFields = splitFields(headerLine.text, this.delimiter);
    if (!headerFields) throw new DeskError('import.malformed', { line: 1, details: 'guillemets / quotes' });
    this.map = mapHeader(headerFields);
  }

  /** Parses the lines queued; with `ended` false, stops before a record whose closing quote may come later. */
  feed(lines: PhysicalLine[], ended: boolean, out: ParsedLine[]): void {
    this.queue = this.head === 0 && this.queue.length === 0 ? lines : this.queue.slice(this.head).concat(lines);
    this.head = 0;
    const queue = this.queue;
    while (this.head < queue.length) {
      const first = queue[this.head]!;
      if (!this.map) {
        this.readHeader(first);
        this.head++;
        continue;
      }
      if (first.overlong) {
        this.reject(out, first, { code: 'import.line.lineTooLong', params: { max: csvLimits.lineChars } });
        this.head++;
        continue;
      }
      let end = this.head + 1;
      let quotes = countQuotes(first.text);
      while (quotes % 2 === 1 && end - this.head < csvLimits.recordLines && end < queue.length && !queue[end]!.overlong) {
        quotes += countQuotes(queue[end]!.text);
        end++;
      }
      if (quotes % 2 === 1) {
        // Its closing quote may be in the next chunk of the file.
        if (!ended && end === queue.length && end - this.head < csvLimits.recordLines) break;
        this.reject(out, first, { code: 'import.line.quoting', params: {} });
        this.head++;
        continue;
      }
      const last = queue[end - 1]!;
      const multiLine = end - this.head > 1;
      const text = multiLine ? queue.slice(this.head, end).map((l) => l.text).join('\n') : first.text;
      const fields = splitFields(text, this.delimiter);
      const built = fields === null ? ({ brokenQuoting: true } as const) : isBlank(fields) ? null : buildClient(fields, this.map, multiLine, this.seen, first.number);
      if (built !== null && 'brokenQuoting' in built) {
        // Resynchronise: only the line that opened the quote is lost; the ones after it are read again.
        this.reject(out, first, { code: 'import.line.quoting', params: {} });
        this.head++;
        continue;
      }
      this.head = end;
      if (built === null) continue;
      const position = { line: first.number, linesRead: last.linesRead, bytesRead: last.bytesRead };
      out.push('client' in built ? { ...position, client: built.client } : { ...position, rejected: built.rejected });
    }
    if (ended && !this.map) throw new DeskError('import.noHeader');
  }
}

/**
 * Reads the file in batches, one per chunk of the source: each batch is parsed synchronously (no
 * promise per line), so the import writes a whole batch at once. Throws DeskError for a file that
 * cannot be read at all: two encodings (import.encoding), no header (import.noHeader), no code or
 * name column (import.missingColumn), unreadable header (import.malformed). Blank lines are
 * skipped. Codes are unique within the file: the later line with a code already seen is
 * rejected. `info.encoding` tells the encoding once known.
 */
export async function* parseClientsCsvBatches(source: ClientsSource, info: ReadInfo = { encoding: 'utf-8' }): AsyncGenerator<ParsedBatch> {
  const decoder = new Decoder(info);
  const splitter = new LineSplitter((text) => decoder.byteLength(text));
  const records = new RecordParser();
  const batch = (lines: PhysicalLine[], ended: boolean): ParsedBatch => {
    const entries: ParsedLine[] = [];
    records.feed(lines, ended, entries);
    return { entries, linesRead: splitter.lines, bytesRead: splitter.bytes };
  };
  let bomCounted = false;
  for await (const chunk of source) {
    let text: string;
    if (typeof chunk === 'string') {
      // File.text() in the page turns bytes that are not UTF-8 into U+FFFD: the same mistake, seen later.
      if (chunk.includes('\uFFFD')) throw encodingError();
      text = chunk;
    } else {
      text = decoder.push(bytesOf(chunk));
      if (decoder.bomBytes && !bomCounted) {
        bomCounted = true;
        splitter.bytes += decoder.bomBytes;
      }
    }
    if (!text) continue;
    const lines: PhysicalLine[] = [];
    splitter.push(text, lines);
    yield batch(lines, false);
  }
  const lines: PhysicalLine[] = [];
  const rest = decoder.end();
  if (rest) splitter.push(rest, lines);
  if (decoder.bomBytes && !bomCounted) splitter.bytes += decoder.bomBytes;
  splitter.end(lines);
  yield batch(lines, true);
}

/** One entry per data line of the file (parseClientsCsvBatches, unbatched): for the server's import and tests. */
export async function* parseClientsCsv(source: ClientsSource, info?: ReadInfo): AsyncGenerator<ParsedLine> {
  for await (const { entries } of parseClientsCsvBatches(source, info)) yield* entries;
}
