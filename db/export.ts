// History export for supervisors and audits: one CSV line per attempt, voided ones included and
// marked, in the format Excel in France opens directly (UTF-8 BOM, ';', CRLF).

import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import type { HistoryExport } from '../contract/index.ts';
import type { Database } from './schema.ts';

export interface ExportFilter {
  /** Local calendar days, inclusive, 'YYYY-MM-DD'. */
  from?: string | undefined;
  to?: string | undefined;
  agentId?: string | undefined;
  status?: 'success' | 'failure' | undefined;
}

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

/** Wall-clock time where the attempt was made, from its own UTC offset: what the agent saw. */
function deviceTime(occurredAt: string, offsetMin: number): string {
  return new Date(Date.parse(occurredAt) + offsetMin * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

const header = [
  'Date (UTC)',
  'Date (heure de l’appareil)',
  'Décalage UTC (min)',
  'Code client',
  'Nom du client',
  'Résultat',
  'Canal',
  'Note',
  'Agent',
  'Identifiant agent',
  'Appareil',
  'Identifiant tentative',
  'Annulée le',
  'Annulée par',
  'Motif d’annulation',
];

export async function exportHistory(db: Kysely<Database>, filter: ExportFilter, at: Date): Promise<HistoryExport> {
  let query = db
    .selectFrom('attempts')
    .innerJoin('clients', 'clients.code', 'attempts.client_code')
    .leftJoin('voids', 'voids.attempt_id', 'attempts.id')
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
      'voids.agent_name as void_agent_name',
      'voids.reason as void_reason',
    ]);
  if (filter.from) query = query.where('attempts.occurred_at', '>=', localDayStart(filter.from));
  if (filter.to) query = query.where('attempts.occurred_at', '<', localDayEnd(filter.to));
  if (filter.agentId) query = query.where('attempts.agent_id', '=', filter.agentId);
  if (filter.status) query = query.where('attempts.status', '=', filter.status);
  const rows = await query.orderBy('attempts.occurred_at').orderBy('attempts.id').execute();

  const lines = rows.map((r) => [
    r.occurred_at,
    deviceTime(r.occurred_at, r.utc_offset_min),
    r.utc_offset_min,
    r.client_code,
    r.client_name,
    r.status === 'success' ? 'Succès' : 'Échec (injoignable)',
    r.channel,
    r.note ?? '',
    r.agent_name,
    r.agent_id,
    r.device_id,
    r.id,
    r.voided_at ?? '',
    r.void_agent_name ?? '',
    r.void_reason ?? '',
  ]);
  const csv = '\uFEFF' + stringify([header, ...lines], { delimiter: ';', record_delimiter: '\r\n' });
  const stamp = localDay(at);
  const range = filter.from || filter.to ? `_${filter.from ?? 'debut'}_${filter.to ?? 'fin'}` : '';
  return { fileName: `historique-notifications${range}_${stamp}.csv`, csv, rowCount: rows.length };
}
