// The floor the index is measured against: read the file in 1 MiB chunks and JSON.parse every line,
// nothing else. Prints the number of parsed lines.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

const file = process.argv[2];
const fd = openSync(file, 'r');
const size = fstatSync(fd).size;
const buf = Buffer.allocUnsafe(1 << 20);
let pos = 0;
let carry = null;
let parsed = 0;
while (pos < size) {
  const n = readSync(fd, buf, 0, buf.length, pos);
  pos += n;
  let start = 0;
  for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < n; nl = buf.indexOf(10, start)) {
    const line = carry ? Buffer.concat([carry, buf.subarray(start, nl)]) : buf.subarray(start, nl);
    carry = null;
    if (line.length) {
      JSON.parse(line.toString('utf8'));
      parsed++;
    }
    start = nl + 1;
  }
  if (start < n) carry = carry ? Buffer.concat([carry, buf.subarray(start, n)]) : Buffer.from(buf.subarray(start, n));
}
if (carry && carry.length) {
  JSON.parse(carry.toString('utf8'));
  parsed++;
}
closeSync(fd);
console.log(JSON.stringify({ parsed }));
