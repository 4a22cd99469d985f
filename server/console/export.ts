// The filtered journal as a file: CSV for Excel in France (UTF-8 BOM, ';', CRLF, dd/mm/yyyy dates)
// or .xlsx (client codes kept as text, times as real dates). Both stream the journal page by page.
// A CSV cell that Excel would run as a formula (= + - @, tab, CR first) is neutralised with a quote,
// and an all-digit client code is written ="0000100413" so Excel keeps its zeros (the desk's export
// follows the same rules: contract/spreadsheet-cells.ts). The reason column ("Motif") has the site's
// words for the attempt's reason code, or the code as it is when the site's list does not know it.

import { PassThrough, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import type { Locale } from '../../contract/errors.ts';
import { reasonLabel, type ReasonDefinition } from '../../contract/reasons.ts';
import { csvTextCode, neutralizeCell } from '../../contract/spreadsheet-cells.ts';
import type { ServerSchema } from '../storage/schema.ts';
import { journalRows, type JournalQuery, type JournalRow } from './journal.ts';
import { offsetLabel, zoneOffsetMin } from './time.ts';
import { wordsFor } from './words.ts';

export { neutralizeCell } from '../../contract/spreadsheet-cells.ts';

const headers: Record<Locale, string[]> = {
  fr: [
    'Heure de la tentative (poste)',
    'Décalage UTC',
    'Reçue par le serveur',
    'Code client',
    'Nom du client',
    'Agent',
    'Identifiant agent',
    'Poste',
    'Statut',
    'Motif',
    'Canal',
    'Note',
    'Annulée le',
    'Annulée par',
    'Motif d’annulation',
    'Identifiant tentative',
  ],
  en: [
    'Attempt time (desk)',
    'UTC offset',
    'Received by the server',
    'Client code',
    'Client name',
    'Agent',
    'Agent id',
    'Device',
    'Status',
    'Reason',
    'Channel',
    'Note',
    'Voided on',
    'Voided by',
    'Void reason',
    'Attempt id',
  ],
};

/** A UTC instant shifted so that its UTC fields read as the wall clock wanted (Excel dates have no zone). */
function wallClockDate(iso: string, offsetMin: number): Date {
  return new Date(Date.parse(iso) + offsetMin * 60_000);
}

function csvDate(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(at.getUTCDate())}/${p(at.getUTCMonth() + 1)}/${at.getUTCFullYear()} ${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())}`;
}

interface Cells {
  attemptAt: Date;
  offset: string;
  receivedAt: Date;
  voidedAt: Date | null;
  texts: string[];
}

function cells(row: JournalRow, locale: Locale, timeZone: string, reasons: readonly ReasonDefinition[]): Cells {
  const words = wordsFor(locale);
  const reason = row.reason_code === null ? '' : reasonLabel(reasons, row.reason_code, locale);
  return {
    attemptAt: wallClockDate(row.occurred_at, row.utc_offset_min),
    offset: offsetLabel(row.utc_offset_min),
    receivedAt: wallClockDate(row.received_at, zoneOffsetMin(new Date(row.received_at), timeZone)),
    voidedAt: row.voided_at ? wallClockDate(row.voided_at, zoneOffsetMin(new Date(row.voided_at), timeZone)) : null,
    texts: [row.client_code, row.client_name, row.agent_name, row.agent_id, row.device_id, words.status[row.status], reason, words.channels[row.channel] ?? row.channel, row.note ?? ''],
  };
}

export function exportFileName(extension: 'csv' | 'xlsx', at: Date, timeZone: string): string {
  const local = wallClockDate(at.toISOString(), zoneOffsetMin(at, timeZone));
  return `journal-tentatives_${local.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')}.${extension}`;
}

export interface ExportOptions {
  locale: Locale;
  timeZone: string;
  /** The site's reason list (the console's), for the words of the Motif column. */
  reasons: readonly ReasonDefinition[];
}

export function journalCsv(db: Kysely<ServerSchema>, filter: JournalQuery, { locale, timeZone, reasons }: ExportOptions): Readable {
  const out = stringify({ delimiter: ';', record_delimiter: '\r\n', bom: true });
  const source = Readable.from(
    (async function* () {
      yield headers[locale];
      for await (const row of journalRows(db, filter, timeZone)) {
        const c = cells(row, locale, timeZone, reasons);
        const [code, ...texts] = c.texts;
        const [name, agent, agentId, device, status, reason, channel, note] = texts.map(neutralizeCell);
        yield [
          csvDate(c.attemptAt),
          c.offset,
          csvDate(c.receivedAt),
          csvTextCode(code!),
          name,
          agent,
          agentId,
          device,
          status,
          reason,
          channel,
          note,
          c.voidedAt ? csvDate(c.voidedAt) : '',
          neutralizeCell(row.void_agent_name ?? ''),
          neutralizeCell(row.void_reason ?? ''),
          row.id,
        ];
      }
    })(),
  );
  source.on('error', (error) => out.destroy(error));
  return source.pipe(out);
}

export function journalXlsx(db: Kysely<ServerSchema>, filter: JournalQuery, { locale, timeZone, reasons }: ExportOptions): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet('Journal');
  const dateFormat = locale === 'en' ? 'yyyy-mm-dd hh:mm:ss' : 'dd/mm/yyyy hh:mm:ss';
  sheet.columns = headers[locale].map((header, i) => ({
    header,
    width: [22, 12, 22, 14, 28, 22, 24, 20, 14, 28, 12, 40, 22, 22, 30, 38][i],
    style: [0, 2, 12].includes(i) ? { numFmt: dateFormat } : i === 3 ? { numFmt: '@' } : {},
  }));
  void (async () => {
    for await (const row of journalRows(db, filter, timeZone)) {
      const c = cells(row, locale, timeZone, reasons);
      const [code, name, agent, agentId, device, status, reason, channel, note] = c.texts;
      sheet.addRow([c.attemptAt, c.offset, c.receivedAt, code, name, agent, agentId, device, status, reason, channel, note, c.voidedAt, row.void_agent_name ?? '', row.void_reason ?? '', row.id]).commit();
    }
    sheet.commit();
    await workbook.commit();
  })().catch((error: unknown) => out.destroy(error as Error));
  return out;
}
