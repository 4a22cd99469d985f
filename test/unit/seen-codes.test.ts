import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenCodes } from '../../db/seen-codes.ts';

// The oracle is the Map the parser used before: the first line of each code, a later line refused.
function firstLinesWithMap(codes: readonly string[]): (number | undefined)[] {
  const seen = new Map<string, number>();
  return codes.map((code, line) => {
    const first = seen.get(code);
    if (first === undefined) seen.set(code, line);
    return first;
  });
}

function firstLinesWithSeenCodes(codes: readonly string[]): (number | undefined)[] {
  const seen = new SeenCodes();
  return codes.map((code, line) => seen.firstSeen(code, line));
}

describe('codes seen in a file (db/seen-codes.ts)', () => {
  it('gives, for any sequence of codes, the line each came at first, as a Map does (property)', () => {
    // Few distinct codes, so that repeats are frequent; unicode, case and length variants among them.
    const code = fc.oneof(
      fc.constantFrom('C001', 'c001', 'C0001', '0001', 'é', 'e\u0301', 'Ω-12', '😀', 'A'.repeat(64), 'x'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(code, { maxLength: 300 }), (codes) => {
        expect(firstLinesWithSeenCodes(codes)).toEqual(firstLinesWithMap(codes));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every code exactly across its table and buffer growing, for a million codes', () => {
    const seen = new SeenCodes();
    const n = 1_000_000;
    let seenTooEarly = 0;
    for (let i = 0; i < n; i++) if (seen.firstSeen(`IMP${String(i).padStart(8, '0')}`, i + 2) !== undefined) seenTooEarly++;
    expect(seenTooEarly).toBe(0);
    expect(seen.size).toBe(n);
    // Every one is found again with its own line, and a near miss is not.
    const wrongLines: number[] = [];
    for (let i = 0; i < n; i += 7) if (seen.firstSeen(`IMP${String(i).padStart(8, '0')}`, 0) !== i + 2) wrongLines.push(i);
    expect(wrongLines).toEqual([]);
    expect(seen.firstSeen('IMP1000000', 0)).toBeUndefined();
    expect(seen.firstSeen('imp00000000', 0)).toBeUndefined();
  });

  it('remembers a code longer than its first scratch buffer', () => {
    const seen = new SeenCodes();
    const long = '€'.repeat(200); // 600 bytes in UTF-8
    expect(seen.firstSeen(long, 5)).toBeUndefined();
    expect(seen.firstSeen(long, 9)).toBe(5);
    expect(seen.firstSeen(`${long}!`, 9)).toBeUndefined();
  });
});
