// Clients: finding them, reading one, and writing them (import, demo data, sync).

import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import {
  DeskError,
  foldText,
  limits,
  phoneQueryDigits,
  phoneSearchForms,
  type Client,
  type ClientPage,
  type ClientSummary,
  type StatusFilter,
} from '../contract/index.ts';
import type { ClientTable, Database } from './schema.ts';

const summaryColumns = [
  'code',
  'name',
  'phones',
  'city',
  'last_status',
  'last_attempt_at',
  'last_agent_name',
  'attempt_count',
] as const;

type SummaryRow = Pick<Selectable<ClientTable>, (typeof summaryColumns)[number]>;

function parsePhones(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.map(String) : [];
}

export function toClientSummary(row: SummaryRow): ClientSummary {
  return {
    code: row.code,
    name: row.name,
    phones: parsePhones(row.phones),
    city: row.city,
    status: row.last_status ?? 'never',
    lastAttemptAt: row.last_attempt_at,
    lastAgentName: row.last_agent_name,
    attemptCount: row.attempt_count,
  };
}

export function toClient(row: Selectable<ClientTable>): Client {
  return {
    ...toClientSummary(row),
    email: row.email,
    address: row.address,
    extra: JSON.parse(row.extra) as Record<string, string>,
    lastAgentId: row.last_agent_id,
    lastAttemptId: row.last_attempt_id,
    updatedAt: row.updated_at,
  };
}

export async function getClient(db: Kysely<Database>, code: string): Promise<Client> {
  const row = await db.selectFrom('clients').selectAll().where('code', '=', code).executeTakeFirst();
  if (!row) throw new DeskError('client.notFound', { code });
  return toClient(row);
}

export async function clientExists(db: Kysely<Database>, code: string): Promise<boolean> {
  const row = await db.selectFrom('clients').select('code').where('code', '=', code).executeTakeFirst();
  return row !== undefined;
}

export async function countClients(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A query that looks like a phone number ("06 06 09", "+33 6…") is searched as its digits. */
function searchTerms(query: string): string[] {
  if (/^[\d\s+().-]+$/.test(query) && /\d/.test(query)) {
    return [phoneQueryDigits(query)];
  }
  return foldText(query).split(' ').filter(Boolean);
}

function ftsPhrase(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface SearchInput {
  query: string;
  status: StatusFilter;
  offset: number;
  limit: number;
}

/** Above this many text matches, walking an index in name order beats sorting the matches (measured on 100k clients). */
const walkIndexAbove = 3000;

/**
 * Terms of three letters or more go through the trigram index (substring, accent-insensitive);
 * a query made only of shorter terms is a prefix of the name or the code, which the b-tree answers.
 * The search's reads are one read transaction on one held connection: an import's chunk or a batch
 * of the search backlog (db/search-backlog.ts) cannot come between the count and the page, nor
 * between the backlog's matches and the index's.
 */
export async function searchClients(db: Kysely<Database>, input: SearchInput): Promise<ClientPage> {
  return db.connection().execute(async (conn) => {
    await sql`BEGIN`.execute(conn);
    try {
      return await searchInSnapshot(conn, input);
    } finally {
      await sql`COMMIT`.execute(conn);
    }
  });
}

/** LIKE on the folded search text, for each term: the trigram index's match, read row by row. */
function textHolds(terms: readonly string[]) {
  return sql.join(
    terms.map((term) => sql`search_text LIKE ${`%${escapeLike(term)}%`} ESCAPE '\\'`),
    sql` AND `,
  );
}

/**
 * The clients of the search backlog (written by an import, not yet in the trigram index) whose
 * search text holds every term, or null when the backlog is empty (the index alone answers). Read
 * once per search: the backlog is scanned by its text, ~0.4 µs a row, so it is capped during an
 * import (db/search-backlog.ts backlogCap).
 */
async function backlogMatches(db: Kysely<Database>, terms: readonly string[]): Promise<number[] | null> {
  const backlog = await sql<{ any: number }>`SELECT EXISTS (SELECT 1 FROM clients_fts_pending) AS any`.execute(db);
  if (!backlog.rows[0]?.any) return null;
  const rows = await sql<{ client_rowid: number }>`
    SELECT p.client_rowid FROM clients_fts_pending p JOIN clients c ON c.rowid = p.client_rowid WHERE ${textHolds(terms)}`.execute(db);
  return rows.rows.map((r) => r.client_rowid);
}

async function searchInSnapshot(db: Kysely<Database>, input: SearchInput): Promise<ClientPage> {
  const terms = searchTerms(input.query);
  const long = terms.filter((t) => t.length >= 3);
  const short = terms.filter((t) => t.length < 3);
  const empty: ClientPage = { items: [], total: 0, totalIsCapped: false, offset: input.offset };

  if (long.length === 0) {
    let base = db.selectFrom('clients');
    if (short.length > 0) {
      const prefix = short.join(' ');
      base = base.where((eb) =>
        eb.or([
          eb.and([eb('name_key', '>=', prefix), eb('name_key', '<', `${prefix}\uffff`)]),
          eb.and([eb('code', '>=', prefix), eb('code', '<', `${prefix}\uffff`)]),
        ]),
      );
    }
    if (input.status === 'never') base = base.where('last_status', 'is', null);
    else if (input.status !== 'all') base = base.where('last_status', '=', input.status);
    const n = await cappedCount(db, base.select(sql<number>`1`.as('one')));
    return page(input, n, () => base.select([...summaryColumns]).orderBy('name_key').orderBy('code').limit(input.limit).offset(input.offset).execute());
  }

  const match = long.map(ftsPhrase).join(' AND ');
  // The rowids the text matches: from the trigram index, and from the backlog when there is one
  // (the index's entries for backlog rows are left out: they hold the text before an update).
  const backlog = await backlogMatches(db, long);
  const indexed = sql`SELECT rowid AS match_rowid FROM clients_fts WHERE clients_fts MATCH ${match}`;
  const textRows =
    backlog === null
      ? indexed
      : sql`${indexed} AND rowid NOT IN (SELECT client_rowid FROM clients_fts_pending) UNION ALL SELECT value FROM json_each(${JSON.stringify(backlog)})`;
  // The matches read once (capped as the total is), as their number and a JSON list of their rowids
  // built by SQLite: the number is the total when nothing else filters, and when they are few (a name,
  // a code, a phone: the usual search) the order and the page take the list instead of running the
  // trigram match again (1–2.5 ms a run on 100k clients: half of a name search). Many matches keep
  // the subquery, for the walk below; their list is built natively, never as rows in JS.
  const found = await sql<{ n: number; rowids: string }>`
    SELECT count(*) AS n, json_group_array(match_rowid) AS rowids FROM (SELECT match_rowid FROM (${textRows}) LIMIT ${limits.totalCap + 1})`.execute(db);
  const textMatches = Number(found.rows[0]?.n ?? 0);
  const matches = textMatches <= walkIndexAbove ? sql<boolean>`IN (SELECT value FROM json_each(${found.rows[0]?.rowids ?? '[]'}))` : sql<boolean>`IN (${textRows})`;
  if (textMatches === 0) return empty;

  // A fragment found in a tenth of the clients or more ("exemple", the e-mail domain of most):
  // handing SQLite every match to walk the name index against costs tens of milliseconds, while
  // the page is among the first few hundred names. Read a bounded stretch of the name index and
  // keep the rows whose folded text holds the terms; when the stretch holds the whole page, that is
  // the page. When it does not (matches bunched later in the alphabet, "sarl"), the plans below.
  if (input.status === 'all' && short.length === 0 && textMatches > walkIndexAbove && textMatches * 10 >= (await clientRows(db))) {
    const rows = await firstMatchesInNameOrder(db, long, input);
    if (rows) return { items: rows.map(toClientSummary), total: Math.min(textMatches, limits.totalCap), totalIsCapped: textMatches > limits.totalCap, offset: input.offset };
  }

  // Three plans, chosen by what the query holds and how many clients the text matches.
  if (textMatches <= walkIndexAbove && short.length === 0) {
    // Few matches: sort them on the narrow client_order table (a few MB that stay cached), then
    // read the page's rows from clients.
    let order = db.selectFrom('client_order').where(sql<boolean>`client_rowid ${matches}`);
    if (input.status === 'never') order = order.where('last_status', 'is', null);
    else if (input.status !== 'all') order = order.where('last_status', '=', input.status);
    const n = input.status === 'all' ? textMatches : await cappedCount(db, order.select(sql<number>`1`.as('one')));
    const pageIds = order.select('client_rowid').orderBy('name_key').orderBy('code').limit(input.limit).offset(input.offset);
    return page(input, n, () =>
      db.selectFrom('clients').select([...summaryColumns]).where(sql<number>`clients.rowid`, 'in', pageIds).orderBy('name_key').orderBy('code').execute(),
    );
  }

  let base = db.selectFrom('clients');
  if (textMatches > walkIndexAbove) {
    // Many matches ("mar", "sarl"): sorting thousands of rows costs tens of milliseconds, so walk
    // the name-ordered index (or the status index, already in name order) and keep the rows whose
    // id is among the matches, stopping at the page's end: the unary + on rowid forces that walk.
    base = base.where(sql<boolean>`+clients.rowid ${matches}`);
    if (input.status === 'never') base = base.where('last_status', 'is', null);
    else if (input.status !== 'all') base = base.where('last_status', '=', input.status);
  } else {
    // Few matches and a short term too ("martin g"): the short term needs the folded text, which
    // only clients has. The unary + keeps SQLite from walking the status index instead.
    base = base.where(sql<boolean>`clients.rowid ${matches}`);
    if (input.status === 'never') base = base.where(sql<boolean>`+last_status IS NULL`);
    else if (input.status !== 'all') base = base.where(sql<boolean>`+last_status = ${input.status}`);
  }
  for (const term of short) {
    base = base.where(sql<boolean>`search_text LIKE ${`%${escapeLike(term)}%`} ESCAPE '\\'`);
  }
  const n = short.length === 0 && input.status === 'all' ? textMatches : await cappedCount(db, base.select(sql<number>`1`.as('one')));
  return page(input, n, () => base.select([...summaryColumns]).orderBy('name_key').orderBy('code').limit(input.limit).offset(input.offset).execute());
}

/** How many clients there are, read from the narrow client_order table (kept by triggers). */
async function clientRows(db: Kysely<Database>): Promise<number> {
  const counted = await db.selectFrom('client_order').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(counted.n);
}

/**
 * The page from a stretch of the name index twenty times the rows the page needs (at most 2,000),
 * filtered on the folded text (the same match as the trigram index: substrings of the folded text,
 * which the search-plans test checks against a plain filter); null when the stretch holds fewer
 * rows than the page needs, so the caller cannot tell the page from it.
 */
async function firstMatchesInNameOrder(db: Kysely<Database>, terms: readonly string[], input: SearchInput): Promise<SummaryRow[] | null> {
  const needed = input.offset + input.limit;
  const stretch = Math.min(2000, 20 * needed);
  const likes = textHolds(terms);
  const rows = await sql<SummaryRow>`
    SELECT ${sql.raw(summaryColumns.join(', '))} FROM (
      SELECT ${sql.raw(summaryColumns.join(', '))}, search_text, name_key FROM clients ORDER BY name_key, code LIMIT ${stretch}
    ) WHERE ${likes} ORDER BY name_key, code LIMIT ${input.limit} OFFSET ${input.offset}`.execute(db);
  return rows.rows.length === input.limit ? rows.rows : null;
}

/** Counts the rows of a query up to the cap: past it, the list says "10 000+". */
async function cappedCount(db: Kysely<Database>, rows: SelectQueryBuilder<Database, keyof Database, { one: number }>): Promise<number> {
  const counted = await db
    .selectFrom(rows.limit(limits.totalCap + 1).as('matches'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(counted.n);
}

async function page(input: SearchInput, n: number, read: () => Promise<SummaryRow[]>): Promise<ClientPage> {
  // Past the end of a list whose size is known exactly, there is nothing to read.
  const pastTheEnd = n <= limits.totalCap && input.offset >= n;
  const rows = pastTheEnd ? [] : await read();
  return {
    items: rows.map(toClientSummary),
    total: Math.min(n, limits.totalCap),
    totalIsCapped: n > limits.totalCap,
    offset: input.offset,
  };
}

/** What an import, the demo generator or a sync pull knows about a client. */
export interface ClientInput {
  code: string;
  name: string;
  phones: string[];
  email: string | null;
  city: string | null;
  address: string | null;
  extra: Record<string, string>;
}

/** `nameKey`: the name already folded (the name key), so that an import folds each name once. */
export function searchTextOf(client: ClientInput, nameKey = foldText(client.name)): string {
  const parts = [
    nameKey,
    client.code.toLowerCase(),
    ...client.phones.flatMap(phoneSearchForms),
    client.email ? foldText(client.email) : '',
    client.city ? foldText(client.city) : '',
  ];
  return parts.filter(Boolean).join(' ');
}

export type UpsertOutcome = 'inserted' | 'updated';

/**
 * Inserts a client or updates the one with the same code. The synthetic status is left alone:
 * it belongs to the attempts, not to the file the client came from. Call inside a transaction.
 */
export async function upsertClient(db: Kysely<Database>, client: ClientInput, at: string): Promise<UpsertOutcome> {
  const fields = clientFields(client, at);
  const existed = await clientExists(db, client.code);
  await db
    .insertInto('clients')
    .values({ code: client.code, ...fields, created_at: at })
    .onConflict((oc) => oc.column('code').doUpdateSet(fields))
    .execute();
  return existed ? 'updated' : 'inserted';
}

/**
 * upsertClient for an import's many lines: the two statements are prepared once and run per line,
 * with no query built per row (Kysely's building was a third of an import's time in a profile).
 * Same columns, same rule; call inside the import's transaction, on the same connection.
 */
export function prepareClientUpsert(sqlite: BetterSqlite3.Database): (client: ClientInput, at: string) => UpsertOutcome {
  const upsertRow = prepareClientRowUpsert(sqlite);
  return (client, at) => upsertRow(clientRow(client, at));
}

/** A client's row as the import writes it: its text folded, its lists as JSON. */
export type ClientRow = { code: string } & ReturnType<typeof clientFields>;

export function clientRow(client: ClientInput, at: string): ClientRow {
  return { code: client.code, ...clientFields(client, at) };
}

/** The import's statements for a row already built (the bench's floor of an import runs them alone). */
export function prepareClientRowUpsert(sqlite: BetterSqlite3.Database): (row: ClientRow) => UpsertOutcome {
  const exists = sqlite.prepare('SELECT 1 FROM clients WHERE code = ?').pluck();
  const updated = ['name', 'phones', 'email', 'city', 'address', 'extra', 'name_key', 'search_text', 'updated_at'] as const;
  const upsert = sqlite.prepare(
    `INSERT INTO clients (code, ${updated.join(', ')}, created_at) VALUES (@code, ${updated.map((c) => `@${c}`).join(', ')}, @updated_at)
     ON CONFLICT (code) DO UPDATE SET ${updated.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  );
  return (row) => {
    const existed = exists.get(row.code) !== undefined;
    upsert.run(row);
    return existed ? 'updated' : 'inserted';
  };
}

function clientFields(client: ClientInput, at: string) {
  const nameKey = foldText(client.name);
  return {
    name: client.name,
    phones: JSON.stringify(client.phones),
    email: client.email,
    city: client.city,
    address: client.address,
    extra: JSON.stringify(client.extra),
    name_key: nameKey,
    search_text: searchTextOf(client, nameKey),
    updated_at: at,
  };
}
