/**
 * Numbers for strings (a large file's videos, in the summary's 'reread' way), 0, 1, 2… in the order
 * first seen, kept without a string or a map entry per name: the names' UTF-8 bytes in one buffer,
 * found through an open-addressing table of their hashes (typed arrays), each hit confirmed by
 * comparing the bytes. A Map of the names held ~100 bytes a video in the V8 heap (at 400 MB, ~32,000
 * videos: about 3 MiB of the summary's peak); this holds ~45 (their bytes, a start, a length and two
 * table slots).
 */
export class VideoNumbers {
  private bytes = Buffer.allocUnsafe(1 << 12);
  private used = 0;
  private starts: Int32Array = new Int32Array(256);
  private lengths: Int32Array = new Int32Array(256);
  /** Per slot: a number + 1, 0 when free; at most half full. */
  private slots = new Int32Array(512);
  private hashes = new Int32Array(512);
  size = 0;

  /** Names with a UTF-16 surrogate, which UTF-8 may not keep apart (a lone one becomes U+FFFD): by their text. */
  private readonly rare = new Map<string, number>();

  /** The number of `name`, given when first seen. */
  numberOf(name: string): number {
    if (SURROGATE.test(name)) {
      let v = this.rare.get(name);
      if (v === undefined) this.rare.set(name, (v = this.size++));
      return v;
    }
    // Its bytes go where a new name's would; kept there only if it is new.
    this.reserve(name.length * 3);
    const n = this.bytes.write(name, this.used, 'utf8');
    const hash = fnv1a(this.bytes, this.used, this.used + n);
    const mask = this.slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s] - 1;
      if (v < 0) return this.add(s, hash, n);
      if (
        this.hashes[s] === hash &&
        this.lengths[v] === n &&
        this.bytes.compare(this.bytes, this.used, this.used + n, this.starts[v], this.starts[v] + n) === 0
      ) {
        return v;
      }
    }
  }

  private add(slot: number, hash: number, n: number): number {
    const v = this.size++;
    while (v >= this.starts.length) {
      this.starts = grown(this.starts);
      this.lengths = grown(this.lengths);
    }
    this.starts[v] = this.used;
    this.lengths[v] = n;
    this.used += n;
    this.slots[slot] = v + 1;
    this.hashes[slot] = hash;
    if (this.size * 2 > this.slots.length) this.rehash();
    return v;
  }

  private reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + n));
    this.bytes.copy(b, 0, 0, this.used);
    this.bytes = b;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const hashes = new Int32Array(slots.length);
    const mask = slots.length - 1;
    for (let s = 0; s < this.slots.length; s++) {
      if (this.slots[s] === 0) continue;
      let t = this.hashes[s] & mask;
      while (slots[t] !== 0) t = (t + 1) & mask;
      slots[t] = this.slots[s];
      hashes[t] = this.hashes[s];
    }
    this.slots = slots;
    this.hashes = hashes;
  }

  /** Forget every name (the buffers are let go too). */
  clear(): void {
    this.bytes = Buffer.allocUnsafe(1 << 12);
    this.used = 0;
    this.starts = new Int32Array(256);
    this.lengths = new Int32Array(256);
    this.slots = new Int32Array(512);
    this.hashes = new Int32Array(512);
    this.rare.clear();
    this.size = 0;
  }
}

const SURROGATE = /[\ud800-\udfff]/;

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** 32-bit FNV-1a of b[start, end). */
function fnv1a(b: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h | 0;
}
