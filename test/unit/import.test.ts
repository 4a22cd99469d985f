import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch, type DeskEvents, type ImportReport } from '../../contract/index.ts';
import { parseClientsCsv, type ParsedLine, type ReadInfo } from '../../db/csv-clients.ts';
import { importClients, maxRejectedListed } from '../../db/import.ts';
import { snapshotDatabase } from '../helpers/db-snapshot.ts';
import { openTestDesk, type TestDesk } from '../helpers/local-db.ts';

const fixture = readFileSync(new URL('../fixtures/clients-sample.csv', import.meta.url), 'utf8');

let t: TestDesk;
let progress: DeskEvents['importProgress'][];

beforeEach(async () => {
  progress = [];
  t = await openTestDesk({
    emit: (event, payload) => {
      if (event === 'importProgress') progress.push(payload as DeskEvents['importProgress']);
    },
  });
});
afterEach(() => t.cleanup());

async function importText(content: string): Promise<ImportReport> {
  const result = await dispatch(t.desk, 'importClients', { fileName: 'clients.csv', content, importId: 'imp-1' });
  if (!result.ok) throw new Error(`import refused: ${result.error.code} ${result.error.message.en}`);
  return result.value as ImportReport;
}

async function collect(source: Iterable<string | Buffer>, info?: ReadInfo): Promise<ParsedLine[]> {
  const lines: ParsedLine[] = [];
  for await (const line of parseClientsCsv(source, info)) lines.push(line);
  return lines;
}

function rejectedLines(report: ImportReport): Array<[number, string]> {
  return report.rejected.map((r) => [r.line, r.code]);
}

describe('import of the Excel-France sample file', () => {
  it('creates the 40 clients with their fields and reports progress to the end', async () => {
    const report = await importText(fixture);
    expect(report).toEqual({ total: 40, inserted: 40, updated: 0, rejected: [], rejectedTruncated: false, encoding: 'utf-8' });
    const gaelle = await t.desk.getClient({ code: '0000100407' });
    expect(gaelle).toMatchObject({
      name: 'BERNARD Gaëlle',
      phones: ['+33 6 53 08 30 11'],
      email: 'gaelle.bernard@exemple.fr',
      city: 'Bamako',
      status: 'never',
      extra: {},
    });
    const noEmail = await t.desk.getClient({ code: '0000100428' });
    expect(noEmail.email).toBeNull();
    const last = progress.at(-1);
    expect(last).toEqual({ importId: 'imp-1', linesRead: 41, linesCommitted: 41, bytesRead: Buffer.byteLength(fixture), bytesTotal: Buffer.byteLength(fixture) });
    expect((await t.desk.getSettings({})).clientCount).toBe(40);
  });

  it('updates on re-import instead of duplicating, and keeps each client status and history', async () => {
    await importText(fixture);
    const recorded = await t.desk.recordAttempt({ clientCode: '0000100400', status: 'success' });
    const renamed = fixture.replace('ROBERT Karim', 'ROBERT Karim-Junior');
    const again = await importText(renamed);
    expect(again).toMatchObject({ total: 40, inserted: 0, updated: 40, rejected: [] });
    expect((await t.desk.getSettings({})).clientCount).toBe(40);
    const karim = await t.desk.getClient({ code: '0000100400' });
    expect(karim).toMatchObject({ name: 'ROBERT Karim-Junior', status: 'success', attemptCount: 1, lastAttemptId: recorded.attempt.id });
    // The search index follows the new name.
    const found = await t.desk.searchClients({ query: 'junior', status: 'all', offset: 0, limit: 50 });
    expect(found.items.map((c) => c.code)).toEqual(['0000100400']);
  });
});

describe('malformed files', () => {
  it('rejects a line with broken quotes and reads on from the next line', async () => {
    const content = [
      'Code client;Nom;Téléphone',
      '001;"DUPONT Jean;0601020304', // opened, never closed: would swallow the rest of the file
      '002;MARTIN Awa;0602030405',
      '003;"DURAND" Zoé;0603040506', // text after the closing quote
      '004;"LEROY ""Le Grand"" Paul";0604050607',
      '005;ROUX Chloé;"06 05',
      '   06 07 08"', // a quoted value cut by a line break, in a phone column: not credible
      '006;DIOP Awa;0606070809',
    ].join('\r\n');
    const report = await importText(content);
    expect(rejectedLines(report)).toEqual([
      [2, 'import.line.quoting'],
      [4, 'import.line.quoting'],
      [6, 'import.line.quoting'],
      [7, 'import.line.quoting'], // the orphan end of line 6's value
    ]);
    expect(report.inserted).toBe(3);
    expect((await t.desk.getClient({ code: '004' })).name).toBe('LEROY "Le Grand" Paul');
    expect((await t.desk.getClient({ code: '006' })).phones).toEqual(['0606070809']);
    await expect(t.desk.getClient({ code: '001' })).rejects.toMatchObject({ code: 'client.notFound' });
  });

  it('accepts an address spread over two lines by Excel (Alt+Enter) and numbers the next lines right', async () => {
    const content = 'Code client;Nom;Adresse;Ville\n001;DUPONT Jean;"12 rue des Lilas\nBâtiment B";Lyon\n002;;x;Paris\n';
    const report = await importText(content);
    expect(rejectedLines(report)).toEqual([[4, 'import.line.missingName']]);
    expect((await t.desk.getClient({ code: '001' })).address).toBe('12 rue des Lilas\nBâtiment B');
  });

  it('rejects lines without a code or a name, too long values and wrong column counts, with messages in both languages', async () => {
    const content = [
      'Code client;Nom;Téléphone;Ville',
      ';SANS CODE;0601;Paris',
      '010;;0602;Lyon',
      `011;${'X'.repeat(201)};0603;Lyon`,
      '012;TROP DE;0604;Lyon;en trop',
      '013;PAS ASSEZ;0605',
      '014;CORRECT Ana;0606;Nantes;;', // empty trailing cells, as Excel sometimes writes them
      ';;;', // an empty row, skipped
      '',
    ].join('\n');
    const report = await importText(content);
    expect(rejectedLines(report)).toEqual([
      [2, 'import.line.missingCode'],
      [3, 'import.line.missingName'],
      [4, 'import.line.tooLong'],
      [5, 'import.line.columnCount'],
      [6, 'import.line.columnCount'],
    ]);
    expect(report).toMatchObject({ total: 6, inserted: 1 });
    const tooLong = report.rejected[2];
    expect(tooLong?.message.fr).toBe('valeur trop longue dans la colonne « Nom »');
    expect(tooLong?.message.en).toBe('value too long in column "Nom"');
    expect(report.rejected[3]?.message.en).toBe('wrong number of columns (5 instead of 4)');
  });

  it('rejects the later line of a duplicated code, naming the first', async () => {
    const content = 'Code client;Nom\n100;A\n200;B\n100;C\n100;D\n';
    const report = await importText(content);
    expect(report.rejected).toEqual([
      { line: 4, code: 'import.line.duplicateCode', message: { fr: 'code client en double (déjà vu ligne 2)', en: 'duplicate client code (already seen at line 2)' } },
      { line: 5, code: 'import.line.duplicateCode', message: { fr: 'code client en double (déjà vu ligne 2)', en: 'duplicate client code (already seen at line 2)' } },
    ]);
    expect((await t.desk.getClient({ code: '100' })).name).toBe('A');
  });

  it('refuses text that the page decoded with U+FFFD (File.text() of a file not in UTF-8) and writes nothing', async () => {
    const latin1 = Buffer.from('Code client;Nom\r\n001;BERNARD Gaëlle\r\n002;CAMARA Zoé\r\n', 'latin1');
    const before = snapshotDatabase(t.local.sqlite);
    const result = await dispatch(t.desk, 'importClients', { content: new TextDecoder().decode(latin1) });
    expect(result).toMatchObject({ ok: false, error: { code: 'import.encoding' } });
    expect(snapshotDatabase(t.local.sqlite)).toEqual(before);
  });

  it('writes nothing when a UTF-8 file turns out to hold bytes of another encoding after valid lines', async () => {
    const before = snapshotDatabase(t.local.sqlite);
    const chunks = [Buffer.from('Code client;Nom\n001;Zoé\n002;B\n'), Buffer.from('003;C\xe9\n', 'latin1')];
    await expect(importClients(t.local, chunks, { at: '2026-11-26T09:00:00.000Z', bytesTotal: 40 })).rejects.toMatchObject({
      code: 'import.encoding',
    });
    expect(snapshotDatabase(t.local.sqlite)).toEqual(before);
  });

  it('refuses a file without a header, or without a code or name column', async () => {
    const before = snapshotDatabase(t.local.sqlite);
    const noHeader = await dispatch(t.desk, 'importClients', { content: '0000100400;ROBERT Karim;0606\n0000100407;BERNARD Gaëlle;0607\n' });
    expect(noHeader).toMatchObject({ ok: false, error: { code: 'import.noHeader' } });
    const empty = await dispatch(t.desk, 'importClients', { content: '' });
    expect(empty).toMatchObject({ ok: false, error: { code: 'import.noHeader' } });
    const noCode = await dispatch(t.desk, 'importClients', { content: 'Nom;Téléphone\nROBERT Karim;0606\n' });
    expect(noCode).toMatchObject({ ok: false, error: { code: 'import.missingColumn', params: { column: 'Code client' } } });
    const noName = await dispatch(t.desk, 'importClients', { content: 'Code client;Ville\n001;Lyon\n' });
    expect(noName).toMatchObject({ ok: false, error: { code: 'import.missingColumn', params: { column: 'Nom' } } });
    if (!noName.ok) {
      expect(noName.error.message.fr).toBe('Colonne obligatoire absente : Nom');
      expect(noName.error.message.en).toBe('Required column missing: Nom');
    }
    expect(snapshotDatabase(t.local.sqlite)).toEqual(before);
  });

  it('reads a comma-separated file without BOM, with LF, English headers and several phone columns', async () => {
    const content = [
      'Customer ID,Name,Phone,Mobile phone,E-mail,City,Address,Account manager',
      'C-1,"SMITH, John",+44 20 7946 0958,07700 900123,john@example.com,London,"1 High St, Flat 2",Ines',
      'C-2,DOE Jane,,,,Leeds,,',
    ].join('\n');
    const report = await importText(content);
    expect(report).toMatchObject({ total: 2, inserted: 2, rejected: [] });
    expect(await t.desk.getClient({ code: 'C-1' })).toMatchObject({
      name: 'SMITH, John',
      phones: ['+44 20 7946 0958', '07700 900123'],
      email: 'john@example.com',
      city: 'London',
      address: '1 High St, Flat 2',
      extra: { 'Account manager': 'Ines' },
    });
    expect(await t.desk.getClient({ code: 'C-2' })).toMatchObject({ phones: [], email: null, address: null, extra: {} });
  });

  it('maps French header variants, accents and case ignored, and joins Nom and Prénom', async () => {
    const content = 'N° client;NOM;Prénom;Tél.;Portable;Téléphone 2;Courriel;VILLE;Adresse;Commentaire\n7;DIALLO;Awa;01 02;06 07;06 07;awa@exemple.fr;Dakar;1 rue A;VIP\n';
    await importText(content);
    expect(await t.desk.getClient({ code: '7' })).toMatchObject({
      name: 'DIALLO Awa',
      phones: ['01 02', '06 07'],
      email: 'awa@exemple.fr',
      city: 'Dakar',
      address: '1 rue A',
      extra: { Commentaire: 'VIP' },
    });
  });

  it('lists at most 1000 rejected lines and says the list is cut', async () => {
    const lines = ['Code client;Nom', ...Array.from({ length: 1500 }, (_, i) => `${i};`), '9999;VALIDE'];
    const report = await importText(lines.join('\n'));
    expect(report.total).toBe(1501);
    expect(report.inserted).toBe(1);
    expect(report.rejected).toHaveLength(maxRejectedListed);
    expect(report.rejectedTruncated).toBe(true);
    expect(report.rejected[999]?.line).toBe(1001);
    // Progress came every 500 lines and at the end.
    expect(progress.map((p) => p.linesRead)).toEqual([501, 1001, 1501, 1502]);
  });
});

describe('encodings Excel (France) saves in', () => {
  const at = '2026-11-26T09:00:00.000Z';
  const read = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

  it('reads "CSV (séparateur : point-virgule)", Windows-1252 without BOM, with œ and accents, and says so', async () => {
    const bytes = read('clients-excel-windows-1252.csv');
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow(); // really not UTF-8
    const report = await importClients(t.local, [bytes], { at, bytesTotal: bytes.length });
    expect(report).toMatchObject({ total: 12, inserted: 12, rejected: [], encoding: 'windows-1252' });
    expect(await t.desk.getClient({ code: '0000100407' })).toMatchObject({ name: 'BERNARD Gaëlle' });
    expect(await t.desk.getClient({ code: '0000100499' })).toMatchObject({ name: 'CŒUR Noël', city: 'Saint-Étienne' });
  });

  it('reads "Texte Unicode", UTF-16LE with BOM and tabs, even split inside a character, and says so', async () => {
    const bytes = read('clients-excel-unicode.txt');
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    // Chunks of odd sizes: a UTF-16 unit split in two must be joined by the decoder kept across chunks.
    const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 333), bytes.subarray(333, 1001), bytes.subarray(1001)];
    const report = await importClients(t.local, chunks, { at, bytesTotal: bytes.length });
    expect(report).toMatchObject({ total: 11, inserted: 11, rejected: [], encoding: 'utf-16le' });
    expect(await t.desk.getClient({ code: '0000100499' })).toMatchObject({ name: 'CŒUR Noël', email: 'noel.coeur@exemple.fr' });
    // Progress counts the file's bytes (two per UTF-16 unit, the BOM included), not the text's.
    const lines = await collect(chunks);
    expect(lines.at(-1)).toMatchObject({ line: 12, linesRead: 12, bytesRead: bytes.length });
  });

  it('reads UTF-8 without BOM as UTF-8, and an ASCII start then accents as the accents say', async () => {
    const utf8 = await importClients(t.local, [Buffer.from('Code client;Nom\n'), Buffer.from('001;Zoé\n')], { at, bytesTotal: 30 });
    expect(utf8.encoding).toBe('utf-8');
    const cp1252 = await importClients(t.local, [Buffer.from('Code client;Nom\n'), Buffer.from('002;Zo\xe9 \x80\n', 'latin1')], { at, bytesTotal: 30 });
    expect(cp1252.encoding).toBe('windows-1252');
    expect((await t.desk.getClient({ code: '001' })).name).toBe('Zoé');
    expect((await t.desk.getClient({ code: '002' })).name).toBe('Zoé €');
  });

  it('decides on a whole character when the first accent ends a chunk, and on a file of 1 or 2 bytes', async () => {
    const decoded = async (chunks: Buffer[]) => {
      const info: ReadInfo = { encoding: 'utf-8' };
      const lines = await collect(chunks, info);
      return { encoding: info.encoding, names: lines.map((l) => ('client' in l ? l.client.name : l.rejected.code)) };
    };
    expect(await decoded([Buffer.from('Code client;Nom\n001;Zo\xe9', 'latin1'), Buffer.from('\n002;A\n')])).toEqual({ encoding: 'windows-1252', names: ['Zoé', 'A'] });
    expect(await decoded([Buffer.from('Code client;Nom\n001;Zo\xc3', 'latin1'), Buffer.from('\xa9\n', 'latin1')])).toEqual({ encoding: 'utf-8', names: ['Zoé'] });
    expect(await decoded([Buffer.from('Code client;Nom\n001;Zo\xe9', 'latin1')])).toEqual({ encoding: 'windows-1252', names: ['Zoé'] });
    await expect(decoded([Buffer.from('C'), Buffer.from('o')])).rejects.toMatchObject({ code: 'import.noHeader' });
  });
});

describe('importClientsFile: the page hands a file, the worker reads it from disk', () => {
  it('imports the file at that path, streamed, with progress to its last byte', async () => {
    const path = new URL('../fixtures/clients-excel-windows-1252.csv', import.meta.url).pathname;
    const result = await dispatch(t.desk, 'importClientsFile', { path, importId: 'file-1' });
    expect(result).toMatchObject({ ok: true, value: { total: 12, inserted: 12, encoding: 'windows-1252' } });
    const size = readFileSync(path).length;
    expect(progress.at(-1)).toEqual({ importId: 'file-1', linesRead: 13, linesCommitted: 13, bytesRead: size, bytesTotal: size });
  });

  it('refuses in words a relative path, a folder or a missing file, and writes nothing', async () => {
    const before = snapshotDatabase(t.local.sqlite);
    for (const path of ['clients.csv', tmpdir(), join(tmpdir(), 'no-such-file-h6.csv')]) {
      const result = await dispatch(t.desk, 'importClientsFile', { path, importId: 'bad' });
      expect(result).toMatchObject({ ok: false, error: { code: 'import.unreadable', message: { fr: expect.stringContaining('Fichier illisible') } } });
    }
    expect(snapshotDatabase(t.local.sqlite)).toEqual(before);
  });
});

describe('codes that differ only by leading zeros', () => {
  const at = '2026-11-26T09:00:00.000Z';

  it('warns about a code equal to another of the same file once its zeros are stripped', async () => {
    const bytes = readFileSync(new URL('../fixtures/clients-excel-windows-1252.csv', import.meta.url));
    const report = await importClients(t.local, [bytes], { at, bytesTotal: bytes.length });
    expect(report.lookalikes).toEqual({ count: 1, examples: [{ line: 13, code: '100400', other: '0000100400' }] });
  });

  it('warns both ways against the base, lists a few and counts the rest; different codes give no warning', async () => {
    await importText('Code client;Nom\n0000100400;A\n200;B\n0300;C\n');
    const lines = ['Code client;Nom', '100400;A2', '000200;B2', '300;C2', '400;D', '0400;E'];
    for (let i = 0; i < 12; i++) lines.push(`${1000 + i};F${i}`, `0${1000 + i};G${i}`);
    const report = await importText(lines.join('\n'));
    expect(report.lookalikes?.count).toBe(3 + 1 + 12);
    expect(report.lookalikes?.examples.slice(0, 4)).toEqual([
      { line: 2, code: '100400', other: '0000100400' },
      { line: 3, code: '000200', other: '200' },
      { line: 4, code: '300', other: '0300' },
      { line: 6, code: '0400', other: '400' },
    ]);
    expect(report.lookalikes?.examples).toHaveLength(10);
    const clean = await importText('Code client;Nom\n0000555;A\n5550;Z\n00;Zero\n000;Zeros\n');
    expect(clean.lookalikes).toBeUndefined();
  });
});

describe('CSV reader details', () => {
  it('counts physical lines and bytes with a BOM and a CRLF or a multi-byte character split across chunks', async () => {
    const chunks = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Code;Nom\r'), Buffer.from('\n1;Ga\xc3', 'latin1'), Buffer.concat([Buffer.from([0xab]), Buffer.from('lle\r\n2;Zoé')])];
    const lines = await collect(chunks);
    expect(lines).toEqual([
      expect.objectContaining({ line: 2, linesRead: 2, bytesRead: 3 + 10 + 11, client: expect.objectContaining({ code: '1', name: 'Gaëlle' }) }),
      expect.objectContaining({ line: 3, linesRead: 3, bytesRead: 3 + 10 + 11 + 6, client: expect.objectContaining({ code: '2', name: 'Zoé' }) }),
    ]);
  });

  it('rejects an endless line without keeping it whole', async () => {
    const huge = `2;${'A'.repeat(200_000)}`;
    const lines = await collect(['Code;Nom\n1;A\n', huge.slice(0, 100_000), huge.slice(100_000), '\n3;C\n']);
    expect(lines.map((l) => ('client' in l ? [l.line, l.client.code] : [l.line, l.rejected.code]))).toEqual([
      [2, '1'],
      [3, 'import.line.lineTooLong'],
      [4, '3'],
    ]);
  });
});
