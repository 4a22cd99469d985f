// What the admin commands print of database text: nothing that a terminal would act on.

import { describe, expect, it } from 'vitest';
import { printable } from '../../server/terminal-text.ts';
import { retryDelayMs, transactionRetry } from '../../server/storage/tx.ts';

describe('printable', () => {
  it('keeps ordinary text, accents and emoji as they are', () => {
    expect(printable('Awa Diallo — poste 3 é 👩🏾‍💼')).toBe('Awa Diallo — poste 3 é 👩🏾‍💼');
  });

  it('escapes C0 and C1 controls, DEL, bidirectional overrides, line separators, lone surrogates and the backslash', () => {
    expect(printable('a\u001b[31mb')).toBe('a\\x1b[31mb');
    expect(printable('\u0007\u0000\u007f\u009b')).toBe('\\x07\\x00\\x7f\\x9b');
    expect(printable('abc\u202edef\u2066')).toBe('abc\\u{202e}def\\u{2066}');
    expect(printable('x\u2028y')).toBe('x\\u{2028}y');
    expect(printable('x\ud800y')).toBe('x\\u{d800}y');
    expect(printable('C:\\x1b')).toBe('C:\\\\x1b');
    expect(printable('tab\there\nline')).toBe('tab\\x09here\\x0aline');
  });
});

describe('retry delays of aborted transactions', () => {
  it('grow with each try, stay under the cap and are random (full jitter)', () => {
    expect(retryDelayMs(1, () => 1)).toBe(transactionRetry.baseMs * 2);
    expect(retryDelayMs(3, () => 1)).toBe(transactionRetry.baseMs * 8);
    expect(retryDelayMs(20, () => 1)).toBe(transactionRetry.capMs);
    expect(retryDelayMs(5, () => 0)).toBe(0);
    expect(retryDelayMs(5, () => 0.5)).toBe(Math.min(transactionRetry.capMs, transactionRetry.baseMs * 32) / 2);
  });
});
