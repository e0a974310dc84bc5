/** Byte helpers of the index's readers: JSON white space, the UTF-8 byte order mark, bad UTF-8, sizes. */

export function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Whether `b` starts with a UTF-8 byte order mark (EF BB BF), which belongs to no record. */
export function startsWithBom(b: Uint8Array): boolean {
  return b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${Math.round(n / (1 << 20))} MiB`;
  if (n >= 1 << 10) return `${Math.round(n / (1 << 10))} KiB`;
  return `${n} bytes`;
}

/** Offset of the first byte that breaks UTF-8 (only called once isUtf8 said there is one). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return b.length;
}

/** A byte as an error message shows it: the character when printable ASCII, else its hex value. */
export function showByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** File types whose first bytes say they are not text: [name, offset, bytes]. */
const MAGIC: readonly (readonly [string, number, readonly number[]])[] = [
  ['a PNG image', 0, [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', 0, [0xff, 0xd8, 0xff]],
  ['a GIF image', 0, [0x47, 0x49, 0x46, 0x38]],
  ['a PDF document', 0, [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['a ZIP archive', 0, [0x50, 0x4b, 0x03, 0x04]],
  ['gzip data', 0, [0x1f, 0x8b]],
  ['zstd data', 0, [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz data', 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['a 7-Zip archive', 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['an ELF executable', 0, [0x7f, 0x45, 0x4c, 0x46]],
  ['a Matroska/WebM video', 0, [0x1a, 0x45, 0xdf, 0xa3]],
  ['a RIFF file (AVI, WAV, WebP)', 0, [0x52, 0x49, 0x46, 0x46]],
  ['an Ogg file', 0, [0x4f, 0x67, 0x67, 0x53]],
  ['an SQLite database', 0, [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66]],
  ['an MP4/QuickTime video', 4, [0x66, 0x74, 0x79, 0x70]],
  ['UTF-16 text (results files are UTF-8)', 0, [0xff, 0xfe]],
  ['UTF-16 text (results files are UTF-8)', 0, [0xfe, 0xff]],
];

/** A control byte that text does not hold: C0 codes but tab, line feed, form feed, carriage return, escape. */
function isBinaryControl(c: number): boolean {
  return c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d && c !== 0x1b && c !== 0x0b;
}

/**
 * Why the first bytes of a file say it is not text, or undefined when they may be text: a known
 * file type's magic number, or control bytes (NUL and the like) in more than 1 byte in 16. One stray
 * NUL in a text file is not enough: it only spoils its own line.
 */
export function binaryReason(head: Uint8Array): string | undefined {
  const nul = head.indexOf(0);
  const at = nul >= 0 ? `; NUL byte at offset ${nul}` : '';
  for (const [name, offset, bytes] of MAGIC) {
    if (head.length >= offset + bytes.length && bytes.every((b, k) => head[offset + k] === b)) return `${name}${at}`;
  }
  // Counted one control value at a time by Buffer#indexOf (memchr): a text file has none, so each
  // value costs one native scan, where a byte-by-byte loop ran in the interpreter at start-up (the
  // command line's summary calls this once, before anything is warm).
  const bytes = Buffer.isBuffer(head) ? head : Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  let controls = 0;
  for (let c = 0; c < 0x20; c++) {
    if (!isBinaryControl(c)) continue;
    for (let p = bytes.indexOf(c); p >= 0; p = bytes.indexOf(c, p + 1)) controls++;
  }
  if (controls * 16 > head.length) return `${controls} control bytes in the first ${formatBytes(head.length)}${at}`;
  return undefined;
}
