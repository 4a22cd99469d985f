// The site policy file and command line: each option accepted or refused on its own, with a message
// IT can act on, the file winning over the command line, the enrolment code never reported.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeProblems, loadPolicy, policyFilePath, policyForReport } from '../../main/policy.ts';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function policyFile(content: string): string {
  dir = mkdtempSync(join(tmpdir(), 'desk-policy-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, content);
  return file;
}

describe('site policy', () => {
  it('lives in the machine-wide folder of each platform', () => {
    expect(policyFilePath('win32', { ProgramData: 'D:\\ProgramData' })).toBe(join('D:\\ProgramData', 'Notification Desk', 'policy.json'));
    expect(policyFilePath('linux')).toBe('/etc/notification-desk/policy.json');
    expect(policyFilePath('darwin')).toBe('/Library/Application Support/Notification Desk/policy.json');
  });

  it('is empty and silent without a file', () => {
    const result = loadPolicy({ file: join(tmpdir(), 'no-such-desk-policy.json'), argv: [] });
    expect(result.policy).toEqual({});
    expect(result.problems).toEqual([]);
  });

  it('keeps the good options of a file with bad ones, and says what is wrong', () => {
    const file = policyFile(JSON.stringify({ serverUrl: 'ftp://x', language: 'de', lockDelayMinutes: 5, logLevel: 'loud', autoUpdate: false, enrolmentCode: 'abc\u0000' }));
    const { policy, problems } = loadPolicy({ file, argv: [] });
    expect(policy).toEqual({ lockDelayMinutes: 5, autoUpdate: false });
    expect(problems.map((p) => p.key).sort()).toEqual(['enrolmentCode', 'language', 'logLevel', 'serverUrl']);
    const text = describeProblems(problems);
    expect(text).toContain('serverUrl : adresse http(s):// attendue');
    expect(text).toContain('language : "fr" ou "en" attendu');
    expect(text).toContain('text.unstorable');
  });

  it('refuses a file that is not a JSON object as a whole', () => {
    expect(loadPolicy({ file: policyFile('{ "serverUrl": '), argv: [] }).problems[0]?.message).toContain('JSON invalide');
    expect(loadPolicy({ file: policyFile('[1]'), argv: [] }).problems[0]?.message).toContain('un objet JSON');
  });

  it('reads the command line among Chromium switches; the file wins', () => {
    const file = policyFile(JSON.stringify({ logLevel: 'warn' }));
    const result = loadPolicy({
      file,
      argv: ['--no-sandbox-not-ours', '--server-url=https://sync.example.fr', '--single-key-shortcuts=off', '--lock-delay', '10', '--log-level=debug', '--allow-plain-http=oui', '--export-diagnostics', '/tmp/d.zip', 'positional'],
    });
    expect(result.policy).toEqual({ serverUrl: 'https://sync.example.fr', singleKeyShortcuts: false, lockDelayMinutes: 10, logLevel: 'warn', allowPlainHttp: true });
    expect(result.sources).toMatchObject({ logLevel: 'file', serverUrl: 'command line' });
    expect(result.exportDiagnostics).toBe('/tmp/d.zip');
    expect(result.problems).toEqual([expect.objectContaining({ key: 'logLevel', source: 'command line' })]);
  });

  it('never reports the enrolment code', () => {
    expect(policyForReport({ enrolmentCode: 'ndk_abc', language: 'fr' })).toEqual({ enrolmentCode: '[secret]', language: 'fr' });
  });
});
