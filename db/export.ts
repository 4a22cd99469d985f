// History export for supervisors and audits: one line per attempt, voided ones included and marked,
// in the interface's language. Two forms: an .xlsx workbook (codes as text, dates as dates, no
// formula anywhere) and a CSV that Excel in France opens directly (UTF-8 BOM, ';', CRLF).

import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import writeXlsxFile, { type Cell, type Row } from 'write-excel-file/node';
import { defaultReasons, reasonLabel, type ExportFormat, type HistoryExport, type KnownChannel, type Locale, type ReasonDefinition } from '../contract/index.ts';
import { csvTextCode as csvCode, neutralizeCell } from '../contract/spreadsheet-cells.ts';
import type { Database } from './schema.ts';

export { neutralizeCell } from '../contract/spreadsheet-cells.ts';

export interface ExportFilter {
  /** Local calendar days, inclusive, 'YYYY-MM-DD'. */
  from?: string | undefined;
  to?: string | undefined;
  agentId?: string | undefined;
  status?: 'success' | 'failure' | undefined;
  format?: ExportFormat | undefined;
}

interface ExportWords {
  header: string[];
  result: Record<'success' | 'failure', string>;
  /** The same words as the interface's (a test compares them with renderer/src/i18n). */
  channels: Record<KnownChannel, string>;
  sheet: string;
  /** Excel's number format for the date columns of the workbook. */
  dateFormat: string;
  fileName(range: { from?: string | undefined; to?: string | undefined }, today: string): string;
}

function fileNameOf(base: string, since: string, until: string, between: string) {
  return ({ from, to }: { from?: string | undefined; to?: string | undefined }, today: string): string => {
    if (from && to) return from === to ? `${base}_${from}` : `${base}_${from}_${between}_${to}`;
    if (from) return `${base}_${since}_${from}`;
    if (to) return `${base}_${until}_${to}`;
    return `${base}_${today}`;
  };
}

export const exportWords: Record<Locale, ExportWords> = {
  fr: {
    header: [
      'Date (UTC)',
      'Date (heure de l’appareil)',
      'Décalage UTC (min)',
      'Code client',
      'Nom du client',
      'Résultat',
      'Motif',
      'Canal',
      'Note',
      'Agent',
      'Identifiant agent',
      'Appareil',
      'Identifiant tentative',
      'Annulée le (heure de l’appareil)',
      'Annulée par',
      'Motif d’annulation',
    ],
    result: { success: 'Succès', failure: 'Échec (injoignable)' },
    channels: { phone: 'Téléphone', whatsapp: 'WhatsApp', email: 'Email', sms: 'SMS', visit: 'Visite' },
    sheet: 'Historique',
    dateFormat: 'dd/mm/yyyy hh:mm:ss',
    fileName: fileNameOf('historique-notifications', 'depuis', 'jusqu-au', 'au'),
  },
  en: {
    header: [
      'Date (UTC)',
      'Date (device time)',
      'UTC offset (min)',
      'Client code',
      'Client name',
      'Result',
      'Reason',
      'Channel',
      'Note',
      'Agent',
      'Agent ID',
      'Device',
      'Attempt ID',
      'Voided on (device time)',
      'Voided by',
      'Void reason',
    ],
    result: { success: 'Success', failure: 'Failure (unreachable)' },
    channels: { phone: 'Phone', whatsapp: 'WhatsApp', email: 'Email', sms: 'SMS', visit: 'Visit' },
    sheet: 'History',
    dateFormat: 'yyyy-mm-dd hh:mm:ss',
    fileName: fileNameOf('notification-history', 'from', 'until', 'to'),
  },
};

function localDayStart(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).toISOString();
}

function localDayEnd(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + 1).toISOString();
}

/** 'YYYY-MM-DD' of the local calendar day at `at`: the file is named after the supervisor's day. */
function localDay(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/**
 * Wall-clock time where it happened, from the record's own UTC offset: what the agent saw. As a Date
 * whose UTC fields are that wall clock, which is how a spreadsheet (that knows no time zone) shows it.
 */
function deviceWallClock(isoUtc: string, offsetMin: number): Date {
  return new Date(Date.parse(isoUtc) + offsetMin * 60_000);
}

const csvDateTime = (wallClock: Date) => wallClock.toISOString().slice(0, 19).replace('T', ' ');

function channelWord(words: ExportWords, channel: string): string {
  return Object.hasOwn(words.channels, channel) ? words.channels[channel as KnownChannel] : channel;
}

export async function exportHistory(
  db: Kysely<Database>,
  filter: ExportFilter,
  at: Date,
  locale: Locale,
  reasons: readonly ReasonDefinition[] = defaultReasons,
): Promise<HistoryExport> {
  let query = db
    .selectFrom('attempts')
    .innerJoin('clients', 'clients.code', 'attempts.client_code')
    .leftJoin('voids', 'voids.attempt_id', 'attempts.id')
    .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'attempts.id')
    .select([
      'attempts.id',
      'attempts.occurred_at',
      'attempts.utc_offset_min',
      'attempts.client_code',
      'clients.name as client_name',
      'attempts.status',
      'attempts.channel',
      'attempts.note',
      'attempts.agent_name',
      'attempts.agent_id',
      'attempts.device_id',
      'voids.voided_at',
      'voids.utc_offset_min as void_offset_min',
      'voids.agent_name as void_agent_name',
      'voids.reason as void_reason',
      'attempt_reasons.code as reason_code',
    ]);
  if (filter.from) query = query.where('attempts.occurred_at', '>=', localDayStart(filter.from));
  if (filter.to) query = query.where('attempts.occurred_at', '<', localDayEnd(filter.to));
  if (filter.agentId) query = query.where('attempts.agent_id', '=', filter.agentId);
  if (filter.status) query = query.where('attempts.status', '=', filter.status);
  const rows = await query.orderBy('attempts.occurred_at').orderBy('attempts.id').execute();

  const words = exportWords[locale];
  const baseName = words.fileName(filter, localDay(at));
  const records = rows.map((r) => ({
    occurredAt: new Date(r.occurred_at),
    deviceTime: deviceWallClock(r.occurred_at, r.utc_offset_min),
    offset: r.utc_offset_min,
    code: r.client_code,
    texts: {
      name: r.client_name,
      result: words.result[r.status],
      // The site's words; a code this desk does not know is written as it is.
      reason: r.reason_code === null ? '' : reasonLabel(reasons, r.reason_code, locale),
      channel: channelWord(words, r.channel),
      note: r.note ?? '',
      agent: r.agent_name,
      agentId: r.agent_id,
      device: r.device_id,
      attemptId: r.id,
    },
    voidedAt: r.voided_at && r.void_offset_min !== null ? deviceWallClock(r.voided_at, r.void_offset_min) : null,
    voidTexts: { by: r.void_agent_name ?? '', reason: r.void_reason ?? '' },
  }));

  if (filter.format === 'xlsx') {
    const text = (value: string): Cell => ({ value, type: String, format: '@' });
    const date = (value: Date | null): Cell => (value ? { value, type: Date, format: words.dateFormat } : null);
    const sheet: Row[] = [
      words.header.map((value) => ({ value, fontWeight: 'bold' as const })),
      ...records.map((r): Row => [
        date(r.occurredAt),
        date(r.deviceTime),
        { value: r.offset, type: Number },
        text(r.code),
        text(r.texts.name),
        text(r.texts.result),
        text(r.texts.reason),
        text(r.texts.channel),
        text(r.texts.note),
        text(r.texts.agent),
        text(r.texts.agentId),
        text(r.texts.device),
        text(r.texts.attemptId),
        date(r.voidedAt),
        text(r.voidTexts.by),
        text(r.voidTexts.reason),
      ]),
    ];
    const buffer = await writeXlsxFile(sheet, {
      sheet: words.sheet,
      stickyRowsCount: 1,
      columns: [20, 20, 10, 14, 28, 20, 28, 12, 40, 20, 24, 24, 38, 20, 20, 40].map((width) => ({ width })),
    }).toBuffer();
    return { fileName: `${baseName}.xlsx`, format: 'xlsx', content: buffer.toString('base64'), rowCount: rows.length };
  }

  const lines = records.map((r) => [
    r.occurredAt.toISOString(),
    csvDateTime(r.deviceTime),
    r.offset,
    csvCode(r.code),
    ...Object.values(r.texts).map(neutralizeCell),
    r.voidedAt ? csvDateTime(r.voidedAt) : '',
    neutralizeCell(r.voidTexts.by),
    neutralizeCell(r.voidTexts.reason),
  ]);
  const csv = '\uFEFF' + stringify([words.header, ...lines], { delimiter: ';', record_delimiter: '\r\n' });
  return { fileName: `${baseName}.csv`, format: 'csv', content: csv, rowCount: rows.length };
}

