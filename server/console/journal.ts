// The journal: every attempt of every agent, newest first (time of the attempt, then id), filtered,
// paged by keyset on (occurred_at, id) so that page 1,000 costs what page 1 costs. Exports walk
// the same query page by page.

import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { attemptStatuses } from '../../contract/enums.ts';
import { text } from '../../contract/text-schema.ts';
import type { ServerSchema } from '../storage/schema.ts';
import { containsPattern, searchFragment } from './search-text.ts';
import { dayStartUtc, nextDay } from './time.ts';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((d) => !Number.isNaN(Date.parse(d)));
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** The journal's query string: what the filter form sends, and what every link back to it carries. */
export const journalQuerySchema = z.object({
  status: optional(z.enum(attemptStatuses)),
  channel: optional(text().max(40)),
  agent: optional(text().max(64)),
  device: optional(text().max(64)),
  from: optional(day),
  to: optional(day),
  client: optional(text().max(100)),
  /** A reason code (the attempt's reason, feature 'attempt.reason'). */
  reason: optional(text().max(40)),
  voided: optional(z.enum(['shown', 'hidden'])),
  after: optional(z.string().max(200)),
  lang: optional(z.enum(['fr', 'en'])),
});
export type JournalQuery = z.infer<typeof journalQuerySchema>;

export interface JournalRow {
  id: string;
  occurred_at: string;
  utc_offset_min: number;
  received_at: string;
  client_code: string;
  client_name: string;
  agent_id: string;
  agent_name: string;
  device_id: string;
  status: 'success' | 'failure';
  channel: string;
  note: string | null;
  /** The attempt's reason code, when one was given. */
  reason_code: string | null;
  voided_at: string | null;
  void_agent_name: string | null;
  void_reason: string | null;
  void_kind: 'undo' | 'void' | null;
}

export const journalPageSize = 50;

/** What the live journal compares with: the change log's last number and the time when the page was made. */
export interface JournalNews {
  seq: string;
  at: string;
}

/** Margin before the page's time: a push received then but committed after the mark still counts. */
const newsMarginMs = 60_000;

/** The mark a page carries: read before its rows, so an attempt committed meanwhile is counted, never lost. */
export async function newsMark(db: Kysely<ServerSchema>, now: Date): Promise<JournalNews> {
  const row = await db.selectFrom('counters').select(sql<string>`CAST(value AS TEXT)`.as('value')).where('name', '=', 'changes').executeTakeFirst();
  return { seq: row?.value ?? '0', at: now.toISOString() };
}

/** At most this many new attempts are counted; past it the notice says "more than". */
export const newsCap = 100;

export const newsQuerySchema = z.object({
  since: z.string().regex(/^\d{1,19}$/),
  at: z.iso.datetime({ offset: false }),
});

/** What a row of the journal or of a client's history shows of an attempt and its void. */
export const attemptColumns = [
  'attempts.id',
  'attempts.occurred_at',
  'attempts.utc_offset_min',
  'attempts.received_at',
  'attempts.client_code',
  'attempts.agent_id',
  'attempts.agent_name',
  'attempts.device_id',
  'attempts.status',
  'attempts.channel',
  'attempts.note',
  'attempt_reasons.code as reason_code',
  'voids.voided_at',
  'voids.agent_name as void_agent_name',
  'voids.reason as void_reason',
  'voids.kind as void_kind',
] as const;

/** Up to this many matching clients, the client filter reads their histories rather than the whole journal. */
const fewClients = 5000;

export function encodeCursor(row: Pick<JournalRow, 'occurred_at' | 'id'>): string {
  return Buffer.from(`${row.occurred_at}|${row.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { occurredAt: string; id: string } | null {
  const [occurredAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!occurredAt || !id || rest.length > 0) return null;
  return { occurredAt, id };
}

export async function journalPage(
  db: Kysely<ServerSchema>,
  filter: JournalQuery,
  options: { timeZone: string; limit?: number; after?: { occurredAt: string; id: string } | null; newer?: JournalNews },
): Promise<{ rows: JournalRow[]; next: string | null }> {
  const limit = options.limit ?? journalPageSize;
  let query = db
    .selectFrom('attempts')
    .innerJoin('clients', 'clients.code', 'attempts.client_code')
    .leftJoin('voids', 'voids.attempt_id', 'attempts.id')
    .leftJoin('attempt_reasons', 'attempt_reasons.attempt_id', 'attempts.id')
    .select(['clients.name as client_name', ...attemptColumns]);
  if (filter.status) query = query.where('attempts.status', '=', filter.status);
  if (filter.channel) query = query.where('attempts.channel', '=', filter.channel);
  if (filter.reason) query = query.where('attempt_reasons.code', '=', filter.reason);
  if (filter.agent) query = query.where('attempts.agent_id', '=', filter.agent);
  if (filter.device) query = query.where('attempts.device_id', '=', filter.device);
  if (filter.from) query = query.where('attempts.occurred_at', '>=', dayStartUtc(filter.from, options.timeZone).toISOString());
  if (filter.to) query = query.where('attempts.occurred_at', '<', dayStartUtc(nextDay(filter.to), options.timeZone).toISOString());
  if (filter.voided === 'hidden') query = query.where('voids.attempt_id', 'is', null);
  if (filter.client) {
    const fragment = searchFragment(filter.client);
    if (fragment) {
      // As the desk's search does: few matching clients, read their histories (by client index) and
      // keep the newest; many, walk the journal by time and keep the rows of matching clients. One
      // plan for both is slow for one of them (seconds at 10 million attempts).
      const matching = sql<boolean>`search_text LIKE ${containsPattern(fragment)} ESCAPE '\\'`;
      const few = await db.selectFrom('clients').select('code').where(matching).limit(fewClients + 1).execute();
      if (few.length === 0) return { rows: [], next: null };
      if (few.length > fewClients) {
        // A scalar subquery is not turned into a join: PostgreSQL walks the time index and checks
        // each row's client, instead of sorting every attempt of tens of thousands of clients.
        query = query.where(sql<boolean>`(SELECT c.search_text FROM clients c WHERE c.code = attempts.client_code) LIKE ${containsPattern(fragment)} ESCAPE '\\'`);
      } else if (!filter.status && !filter.channel && !filter.reason && !filter.agent && !filter.device) {
        // The page's ids first, from attempts_by_client_time alone (client, time, id: no table row
        // read for the thousands of attempts that are not on the page), then those rows in full.
        const after = options.after !== undefined ? options.after : filter.after ? decodeCursor(filter.after) : null;
        let ids = db.selectFrom('attempts').select('attempts.id').where('attempts.client_code', 'in', few.map((c) => c.code));
        if (filter.from) ids = ids.where('attempts.occurred_at', '>=', dayStartUtc(filter.from, options.timeZone).toISOString());
        if (filter.to) ids = ids.where('attempts.occurred_at', '<', dayStartUtc(nextDay(filter.to), options.timeZone).toISOString());
        if (filter.voided === 'hidden') ids = ids.where(sql<boolean>`NOT EXISTS (SELECT 1 FROM voids v WHERE v.attempt_id = attempts.id)`);
        if (after) ids = ids.where(sql<boolean>`(attempts.occurred_at, attempts.id) < (${after.occurredAt}, ${after.id})`);
        const page = await ids.orderBy('attempts.occurred_at', 'desc').orderBy('attempts.id', 'desc').limit(limit + 1).execute();
        if (page.length === 0) return { rows: [], next: null };
        query = query.where('attempts.id', 'in', page.map((r) => r.id));
      } else query = query.where('attempts.client_code', 'in', few.map((c) => c.code));
    }
  }
  if (options.newer) {
    // Logged in the change log after the page's mark (seq is its primary key: a short range) and
    // received since shortly before it (a push in flight when the mark was read). A reason arriving
    // in a later push logs its attempt again (pulls read them together): an attempt received before
    // the mark whose reason came later is one the page already showed, not a new one.
    const { seq, at } = options.newer;
    query = query
      .where('attempts.id', 'in', (eb) => eb.selectFrom('changes').select('changes.ref').where('changes.kind', '=', 'attempt').where('changes.seq', '>', seq))
      .where('attempts.received_at', '>=', new Date(Date.parse(at) - newsMarginMs).toISOString())
      .where((eb) =>
        eb.not(
          eb.and([
            eb('attempts.received_at', '<', at),
            eb.exists(eb.selectFrom('attempt_reasons as later').select('later.attempt_id').whereRef('later.attempt_id', '=', 'attempts.id').whereRef('later.received_at', '>', 'attempts.received_at')),
          ]),
        ),
      );
  }
  const after = options.after !== undefined ? options.after : filter.after ? decodeCursor(filter.after) : null;
  if (after) query = query.where(sql<boolean>`(attempts.occurred_at, attempts.id) < (${after.occurredAt}, ${after.id})`);
  const rows = (await query.orderBy('attempts.occurred_at', 'desc').orderBy('attempts.id', 'desc').limit(limit + 1).execute()) as JournalRow[];
  const more = rows.length > limit;
  if (more) rows.pop();
  return { rows: rows.map((r) => ({ ...r, utc_offset_min: Number(r.utc_offset_min) })), next: more ? encodeCursor(rows[rows.length - 1]!) : null };
}

/** Every row of the filtered journal, page by page (exports). */
export async function* journalRows(db: Kysely<ServerSchema>, filter: JournalQuery, timeZone: string): AsyncGenerator<JournalRow> {
  let after: { occurredAt: string; id: string } | null = null;
  for (;;) {
    const page = await journalPage(db, { ...filter, after: undefined }, { timeZone, limit: 2000, after });
    yield* page.rows;
    if (!page.next) return;
    const last = page.rows[page.rows.length - 1]!;
    after = { occurredAt: last.occurred_at, id: last.id };
  }
}
