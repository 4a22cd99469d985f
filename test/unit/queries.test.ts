// Reading the desk: search, history, today's figures, history export. Through dispatch, so the
// defaults the renderer relies on (page size, status 'all') are the ones tested.

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  dispatch,
  limits,
  type AttemptOutcome,
  type AttemptRecord,
  type ClientPage,
  type HistoryExport,
  type HistoryPage,
  type OperationName,
  type TodayCounts,
} from '../../contract/index.ts';
import { strFromU8, unzipSync } from 'fflate';
import { readSheet } from 'read-excel-file/node';
import { insertAttemptRecord } from '../../db/attempts.ts';
import { exportWords, neutralizeCell } from '../../db/export.ts';
import { en } from '../../renderer/src/i18n/en.ts';
import { fr } from '../../renderer/src/i18n/fr.ts';
import { uuidv7 } from '../../db/ids.ts';
import { writeTransaction } from '../../db/tx.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

const fixture = readFileSync(new URL('../fixtures/clients-sample.csv', import.meta.url), 'utf8');
const karim = '0000100400';
const gaelle = '0000100407';
const theo = '0000100505';

let t: TestDesk;

async function call<T>(operation: OperationName, input: unknown): Promise<T> {
  const result = await dispatch(t.desk, operation, input);
  if (!result.ok) throw new Error(`${operation} refused: ${result.error.code} ${result.error.message.en}`);
  return result.value as T;
}

const search = (input: Record<string, unknown>) => call<ClientPage>('searchClients', input);
const codes = (page: ClientPage) => page.items.map((c) => c.code);
const names = (page: ClientPage) => page.items.map((c) => c.name);
const record = (clientCode: string, status: 'success' | 'failure', extra: Record<string, unknown> = {}) =>
  call<AttemptOutcome>('recordAttempt', { clientCode, status, ...extra });

beforeEach(async () => {
  t = await openTestDesk();
  await call('importClients', { content: fixture });
});
afterEach(() => t.cleanup());

describe('searchClients', () => {
  it('finds a fragment of a name, accents and case ignored', async () => {
    expect(names(await search({ query: 'gaelle' }))).toEqual(['BERNARD Gaëlle', 'DAVID Gaëlle', 'LAURENT Gaëlle', 'NDIAYE Gaëlle']);
    expect(names(await search({ query: 'GAËLLE' }))).toEqual(names(await search({ query: 'gaelle' })));
    expect(names(await search({ query: 'ocean' }))).toEqual(['MOREAU Océane']);
    expect(names(await search({ query: 'ETIENNE' }))).toEqual(['SARL David & Fils']); // city Saint-Étienne
  });

  it('finds a code, whole or in part', async () => {
    expect(codes(await search({ query: karim }))).toEqual([karim]);
    expect(codes(await search({ query: '100407' }))).toEqual([gaelle]);
  });

  it('finds a phone number from a fragment written in several ways', async () => {
    // Karim: +33 6 06 09 68 12. Théo: +33 6 06 58 99 87.
    expect(codes(await search({ query: '0606' })).sort()).toEqual([karim, theo]);
    expect(codes(await search({ query: '06 06 09' }))).toEqual([karim]);
    expect(codes(await search({ query: '06.06.09.68' }))).toEqual([karim]);
    expect(codes(await search({ query: '+33 6 06' })).sort()).toEqual([karim, theo]);
    expect(codes(await search({ query: '0033 6 06 09' }))).toEqual([karim]);
    expect(names(await search({ query: '0718 95' }))).toEqual(['BERNARD Noémie']);
  });

  it('finds a number stored in national form from its international forms, whole or in part', async () => {
    // Noémie is stored as 0718955597; Karim as +33 6 06 09 68 12.
    for (const query of ['+33718955597', '+33 7 18 95 55 97', '0033 7 18 95 55 97', '+33 (0)7 18 95 55 97', '+33 7 18']) {
      expect(names(await search({ query })), query).toEqual(['BERNARD Noémie']);
    }
    for (const query of ['+33606096812', '0606096812', '06 06 09 68 12', '+33 (0)6 06 09 68 12']) {
      expect(codes(await search({ query })), query).toEqual([karim]);
    }
    // Stored as "+33 (0)6 …": its digits hold the national form.
    await call('importClients', { content: 'Code client;Nom;Téléphone\nZ-1;ZÉRO Entre Parenthèses;+33 (0)6 55 44 33 22\n' });
    for (const query of ['06 55 44 33 22', '+33 6 55 44 33 22', '0655']) {
      expect(codes(await search({ query })), query).toEqual(['Z-1']);
    }
  });

  it('combines several words, and answers short terms by prefix of the name or the code', async () => {
    expect(names(await search({ query: 'david ga' }))).toEqual(['DAVID Gaëlle']);
    expect(names(await search({ query: 'gaëlle bamako' }))).toEqual(['BERNARD Gaëlle']);
    expect(names(await search({ query: 'ro' }))).toEqual(['ROBERT Ibrahima', 'ROBERT Karim', 'ROUX Aminata', 'ROUX Élodie']);
    expect(names(await search({ query: 'Ro' }))).toEqual(names(await search({ query: 'ro' })));
    expect((await search({ query: '00' })).total).toBe(40);
    expect((await search({ query: 'zz' })).items).toEqual([]);
    expect((await search({ query: 'introuvable' })).total).toBe(0);
  });

  it('treats FTS syntax in the query as plain text', async () => {
    expect((await search({ query: '"robert' })).items).toEqual([]);
    expect(names(await search({ query: 'robert OR NOT' }))).toEqual([]);
    expect(names(await search({ query: 'durand & fils' }))).toEqual(['SARL Durand & Fils', 'SARL Durand & Fils']);
    expect((await search({ query: '%' })).items).toEqual([]);
  });

  it('filters by status, which follows each attempt', async () => {
    await record(karim, 'success');
    await record(gaelle, 'failure');
    t.clock.advance(60_000);
    await record(theo, 'failure');
    expect(codes(await search({ status: 'success' }))).toEqual([karim]);
    expect(codes(await search({ status: 'failure' }))).toEqual([gaelle, theo]);
    expect((await search({ status: 'never' })).total).toBe(37);
    expect(codes(await search({ query: 'gaelle', status: 'failure' }))).toEqual([gaelle]);
    expect(names(await search({ query: 'gaelle', status: 'never' }))).toEqual(['DAVID Gaëlle', 'LAURENT Gaëlle', 'NDIAYE Gaëlle']);
    expect(await search({ query: 'gaelle ba', status: 'success' })).toMatchObject({ items: [], total: 0 });
    const summary = (await search({ query: karim })).items[0];
    expect(summary).toMatchObject({ status: 'success', lastAgentName: 'Awa Diallo', attemptCount: 1, lastAttemptAt: '2026-11-26T09:00:00.000Z' });
  });

  it('pages through results in name order with the total', async () => {
    const all = await search({ limit: 200 });
    expect(all.total).toBe(40);
    const sorted = [...all.items].sort((a, b) => a.name.localeCompare(b.name, 'fr', { sensitivity: 'base' }) || a.code.localeCompare(b.code));
    expect(names(all)).toEqual(names({ ...all, items: sorted }));
    const pages: string[] = [];
    for (let offset = 0; offset < 40; offset += 15) {
      const page = await search({ offset, limit: 15 });
      expect(page).toMatchObject({ total: 40, totalIsCapped: false, offset });
      pages.push(...codes(page));
    }
    expect(pages).toEqual(codes(all));
    expect((await search({ offset: 40, limit: 15 })).items).toEqual([]);
  });

  it('caps the count on a very large list and says so', async () => {
    await call('seedDemoClients', { count: limits.totalCap + 10 });
    const page = await search({ limit: 10 });
    expect(page.total).toBe(limits.totalCap);
    expect(page.totalIsCapped).toBe(true);
    expect(page.items).toHaveLength(10);
  });
});

describe('history', () => {
  it('pages from the newest, voids included and marked', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { attempt } = await record(karim, i % 2 ? 'success' : 'failure', { channel: i === 4 ? 'whatsapp' : undefined, note: `essai ${i}` });
      ids.push(attempt.id);
      t.clock.advance(60_000);
    }
    await call('voidAttempt', { attemptId: ids[3], reason: 'Mauvais client' });
    const seen: HistoryPage['items'] = [];
    let before: string | undefined;
    let pages = 0;
    do {
      const page: HistoryPage = await call('listHistory', { clientCode: karim, limit: 2, ...(before ? { before } : {}) });
      seen.push(...page.items);
      before = page.nextCursor ?? undefined;
      pages++;
    } while (before);
    expect(pages).toBe(3);
    expect(seen.map((a) => a.id)).toEqual([...ids].reverse());
    expect(seen[0]).toMatchObject({ channel: 'whatsapp', note: 'essai 4', agentName: 'Awa Diallo', status: 'failure', void: null });
    expect(seen[1]?.void).toMatchObject({ kind: 'void', reason: 'Mauvais client', agentName: 'Awa Diallo' });
    expect(seen[4]?.channel).toBe('phone');
    expect((await call<HistoryPage>('listHistory', { clientCode: gaelle })).items).toEqual([]);
  });

  it('lets the author undo within 10 seconds; the status goes back and the attempt stays, marked', async () => {
    await record(karim, 'failure');
    t.clock.advance(60_000);
    const { attempt } = await record(karim, 'success');
    t.clock.advance(limits.undoSeconds * 1000 - 1);
    const undone = await call<AttemptOutcome>('undoAttempt', { attemptId: attempt.id });
    expect(undone.attempt.void).toMatchObject({ kind: 'undo', agentName: 'Awa Diallo' });
    expect(undone.client).toMatchObject({ status: 'failure', attemptCount: 1 });
    const history = await call<HistoryPage>('listHistory', { clientCode: karim });
    expect(history.items).toHaveLength(2);
    expect(history.items[0]?.void?.kind).toBe('undo');
    const outbox = t.local.sqlite.prepare(`SELECT kind, record_id FROM outbox ORDER BY seq`).all();
    expect(outbox).toEqual([
      { kind: 'attempt', record_id: expect.any(String) },
      { kind: 'attempt', record_id: attempt.id },
      { kind: 'void', record_id: attempt.id },
    ]);
  });
});

/** A local wall-clock time on the test's reference day, as the UTC instant the clock holds. */
function localTime(day: number, hour: number, minute = 0): string {
  return new Date(2026, 10, day, hour, minute).toISOString();
}

async function colleagueAttempt(occurredAt: string, status: 'success' | 'failure'): Promise<AttemptRecord> {
  const rec: AttemptRecord = {
    id: uuidv7({ msecs: Date.parse(occurredAt) }),
    clientCode: gaelle,
    agentId: 'agent-bintou',
    agentName: 'Bintou Sylla',
    occurredAt,
    utcOffsetMin: 60,
    status,
    channel: 'email',
    note: null,
    deviceId: 'device-b',
  };
  await writeTransaction(t.local.db, (trx) => insertAttemptRecord(trx, rec));
  return rec;
}

describe('todayCounts', () => {
  it("counts this agent's attempts of the local day, voided ones left out", async () => {
    t.clock.set(localTime(25, 23, 50));
    await record(karim, 'success'); // yesterday
    t.clock.set(localTime(26, 0, 5));
    await record(karim, 'failure');
    t.clock.set(localTime(26, 9));
    await record(gaelle, 'success');
    const { attempt } = await record(theo, 'success');
    await call('undoAttempt', { attemptId: attempt.id });
    await colleagueAttempt(localTime(26, 10), 'success'); // someone else's
    t.clock.set(localTime(26, 23, 59));
    expect(await call<TodayCounts>('todayCounts', {})).toEqual({ attempts: 2, successes: 1, failures: 1, byReason: [] });
    t.clock.set(localTime(27, 0, 1));
    expect(await call<TodayCounts>('todayCounts', {})).toEqual({ attempts: 0, successes: 0, failures: 0, byReason: [] });
  });
});

describe('exportHistory', () => {
  async function rows(filter: Record<string, unknown>): Promise<{ file: HistoryExport; lines: string[][] }> {
    const file = await call<HistoryExport>('exportHistory', filter);
    expect(file.format).toBe('csv');
    expect(file.content.startsWith('\uFEFF')).toBe(true);
    const lines = parse(file.content.slice(1), { delimiter: ';', record_delimiter: '\r\n' }) as string[][];
    expect(lines.length - 1).toBe(file.rowCount);
    return { file, lines: lines.slice(1) };
  }

  beforeEach(async () => {
    t.clock.set(localTime(24, 10));
    await record(karim, 'failure', { note: 'Répondeur; rappeler "demain"' });
    t.clock.set(localTime(25, 11));
    const { attempt } = await record(gaelle, 'success');
    t.clock.advance(2_000);
    await call('undoAttempt', { attemptId: attempt.id });
    await colleagueAttempt(localTime(25, 15), 'failure');
    t.clock.set(localTime(26, 9));
    await record(theo, 'success', { channel: 'sms' });
  });

  it('exports everything, in time order, voided attempts marked, in an Excel-ready CSV', async () => {
    const { file, lines } = await rows({});
    expect(file.rowCount).toBe(4);
    expect(file.fileName).toBe('historique-notifications_2026-11-26.csv');
    expect(file.content).toContain('\r\n');
    // All-digit codes stay text in Excel FR (="…"), zeros kept.
    expect(lines.map((l) => l[3])).toEqual([karim, gaelle, gaelle, theo].map((code) => `="${code}"`));
    expect(lines[0]?.[8]).toBe('Répondeur; rappeler "demain"');
    expect(lines[0]?.[5]).toBe('Échec (injoignable)');
    expect(lines[1]?.[5]).toBe('Succès');
    expect(lines[1]?.[15]).toBe('Annulation immédiate par l’agent');
    expect(lines[1]?.[14]).toBe('Awa Diallo');
    expect(lines[3]?.[7]).toBe('SMS'); // the channel in words
    expect(lines[0]?.[7]).toBe('Téléphone');
    // The agent's own wall-clock time, from the offset the attempt carries.
    expect(lines[0]?.[1]).toBe('2026-11-24 10:00:00');
  });

  it('filters by local date range, status and agent', async () => {
    expect((await rows({ from: '2026-11-25', to: '2026-11-25' })).lines.map((l) => l[9])).toEqual(['Awa Diallo', 'Bintou Sylla']);
    const fromOnly = await rows({ from: '2026-11-25' });
    expect(fromOnly.file.rowCount).toBe(3);
    expect(fromOnly.file.fileName).toBe('historique-notifications_depuis_2026-11-25.csv');
    expect((await rows({ from: '2026-11-24', to: '2026-11-25' })).file.fileName).toBe('historique-notifications_2026-11-24_au_2026-11-25.csv');
    expect((await rows({ from: '2026-11-25', to: '2026-11-25' })).file.fileName).toBe('historique-notifications_2026-11-25.csv');
    expect((await rows({ to: '2026-11-24' })).file.fileName).toBe('historique-notifications_jusqu-au_2026-11-24.csv');
    expect((await rows({ to: '2026-11-24' })).lines.map((l) => l[3])).toEqual([`="${karim}"`]);
    expect((await rows({ status: 'failure' })).lines.map((l) => l[3])).toEqual([karim, gaelle].map((code) => `="${code}"`));
    expect((await rows({ agentId: 'agent-bintou' })).lines.map((l) => l[10])).toEqual(['agent-bintou']);
    expect((await rows({ from: '2026-11-26', status: 'success', agentId: 'agent-bintou' })).file.rowCount).toBe(0);
  });

  it('neutralises cells a spreadsheet would run as formulas (OWASP CSV injection)', async () => {
    t.clock.set(localTime(26, 12));
    const notes = ['=HYPERLINK("http://evil.example","x")', '+33 6 12', '-2+3', '@SUM(A1)', 'Sans danger = ok'];
    for (const note of notes) await record(karim, 'failure', { note });
    const { lines } = await rows({ from: '2026-11-26', status: 'failure' });
    expect(lines.map((l) => l[8])).toEqual([
      `'=HYPERLINK("http://evil.example","x")`,
      `'+33 6 12`,
      `'-2+3`,
      `'@SUM(A1)`,
      'Sans danger = ok',
    ]);
    // A note is trimmed on entry; an imported name or a pulled record may still start with a tab or CR.
    expect(neutralizeCell('\t=1+1')).toBe(`'\t=1+1`);
    expect(neutralizeCell('\r=1+1')).toBe(`'\r=1+1`);
  });

  it('speaks the interface’s language: header, results, channels and the file name', async () => {
    await call('updateSettings', { locale: 'en' });
    const { file, lines } = await rows({ from: '2026-11-24', to: '2026-11-26' });
    expect(file.fileName).toBe('notification-history_2026-11-24_to_2026-11-26.csv');
    const header = parse(file.content.slice(1), { delimiter: ';', record_delimiter: '\r\n' })[0] as string[];
    expect(header).toEqual(exportWords.en.header);
    expect(header[4]).toBe('Client name');
    expect(lines[0]?.[5]).toBe('Failure (unreachable)');
    expect(lines[0]?.[7]).toBe('Phone');
  });

  it('gives "Annulée le" in the wall-clock time of the device that voided, like the attempt’s date', async () => {
    const { lines } = await rows({ from: '2026-11-25', to: '2026-11-25' });
    // Gaëlle's success at 11:00 local time, undone 2 s later.
    expect(lines[0]?.[1]).toBe('2026-11-25 11:00:00');
    expect(lines[0]?.[13]).toBe('2026-11-25 11:00:02');
  });

  it('uses the interface’s words for the channels (one vocabulary with the renderer)', () => {
    expect(exportWords.fr.channels).toEqual(fr.channels);
    expect(exportWords.en.channels).toEqual(en.channels);
  });

  it('writes an .xlsx workbook beside the CSV: codes as text, dates as dates, no formula', async () => {
    await record(karim, 'failure', { note: '=1+1' });
    const file = await call<HistoryExport>('exportHistory', { format: 'xlsx', from: '2026-11-24', to: '2026-11-26' });
    expect(file.format).toBe('xlsx');
    expect(file.fileName).toBe('historique-notifications_2026-11-24_au_2026-11-26.xlsx');
    const bytes = Buffer.from(file.content, 'base64');
    const sheet = (await readSheet(bytes)) as unknown[][];
    expect(sheet[0]).toEqual(exportWords.fr.header);
    expect(sheet.length - 1).toBe(file.rowCount);
    const first = sheet[1]!;
    expect(first[3]).toBe(karim); // '0000100400', zeros kept: a text cell
    expect(first[0]).toBeInstanceOf(Date);
    expect((first[0] as Date).toISOString()).toBe(new Date(localTime(24, 10)).toISOString());
    // The device's wall clock (10:00 where it was made), as a date a spreadsheet shows as such.
    expect((first[1] as Date).toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(first[2]).toBe(0 - new Date(localTime(24, 10)).getTimezoneOffset() || 0);
    expect(first[7]).toBe('Téléphone');
    const voided = sheet[2]!;
    expect((voided[13] as Date).toISOString()).toBe('2026-11-25T11:00:02.000Z');
    expect(sheet.at(-1)?.[8]).toBe('=1+1'); // kept as the agent typed it, as text
    // No cell is a formula: the sheet's XML has no <f> element, and the code column is formatted as text.
    const xml = strFromU8(unzipSync(bytes)['xl/worksheets/sheet1.xml']!);
    expect(xml).not.toMatch(/<f[ >]/);
  });
});
