// The client codes a file has given so far, each with the line it came at, so that a later line
// with the same code is refused as a duplicate (db/csv-clients.ts). Kept outside the JS heap: a Map
// of a million codes held ~60 MB of strings and entries, long-lived, which the collector kept
// scanning and which let the database worker's heap grow to 256 MB during the 1M-line import
// (docs/PERFORMANCE.md). Here the codes' UTF-8 bytes lie one after another in one buffer, each after
// its length, and an open-addressing table holds (offset, line) pairs: ~30 bytes a code, in two
// typed arrays. Exact: codes are compared byte for byte, a hash only says where to look.

const encoder = new TextEncoder();

/** FNV-1a over bytes: spreads short codes that differ in one digit ("C0001", "C0002"). */
function hashOf(bytes: Uint8Array, start: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < start + length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

export class SeenCodes {
  /** Each code as [length: 2 bytes, little-endian][its UTF-8 bytes]. */
  private bytes = new Uint8Array(1 << 16);
  private used = 0;
  /** Pairs (offset in `bytes` + 1, line); an offset of 0 is an empty slot. */
  private slots = new Int32Array(2 * 1024);
  private count = 0;
  private scratch = new Uint8Array(256);

  get size(): number {
    return this.count;
  }

  /**
   * The line `code` came at first, if it came before; otherwise undefined, and it is remembered as
   * coming at `line`.
   */
  firstSeen(code: string, line: number): number | undefined {
    const length = this.encode(code);
    const mask = this.slots.length / 2 - 1;
    let slot = hashOf(this.scratch, 0, length) & mask;
    for (;;) {
      const at = this.slots[2 * slot]!;
      if (at === 0) break;
      if (this.holds(at - 1, length)) return this.slots[2 * slot + 1];
      slot = (slot + 1) & mask;
    }
    const offset = this.append(length);
    this.slots[2 * slot] = offset + 1;
    this.slots[2 * slot + 1] = line;
    this.count++;
    // At most half full, so that a probe stays short.
    if (this.count * 2 > mask + 1) this.grow();
    return undefined;
  }

  /** The code's UTF-8 bytes into `scratch`; their number. */
  private encode(code: string): number {
    for (;;) {
      const { read, written } = encoder.encodeInto(code, this.scratch);
      if (read === code.length) {
        if (written > 0xffff) throw new RangeError('client code too long to remember');
        return written;
      }
      this.scratch = new Uint8Array(this.scratch.length * 4);
    }
  }

  private holds(offset: number, length: number): boolean {
    const bytes = this.bytes;
    if ((bytes[offset]! | (bytes[offset + 1]! << 8)) !== length) return false;
    for (let i = 0; i < length; i++) if (bytes[offset + 2 + i] !== this.scratch[i]) return false;
    return true;
  }

  private append(length: number): number {
    const needed = this.used + 2 + length;
    if (needed > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < needed) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.bytes.subarray(0, this.used));
      this.bytes = bigger;
    }
    const offset = this.used;
    this.bytes[offset] = length & 0xff;
    this.bytes[offset + 1] = length >>> 8;
    this.bytes.set(this.scratch.subarray(0, length), offset + 2);
    this.used = needed;
    return offset;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    const mask = this.slots.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) {
      const at = old[i]!;
      if (at === 0) continue;
      const offset = at - 1;
      const length = this.bytes[offset]! | (this.bytes[offset + 1]! << 8);
      let slot = hashOf(this.bytes, offset + 2, length) & mask;
      while (this.slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      this.slots[2 * slot] = at;
      this.slots[2 * slot + 1] = old[i + 1]!;
    }
  }
}
