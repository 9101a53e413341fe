// Matrix Market text format (https://math.nist.gov/MatrixMarket/formats.html):
// coordinate (sparse → CsrMatrix) and array (dense → DenseMatrix); real,
// integer and pattern fields; general, symmetric and skew-symmetric storage.
// Read strictly, and never allocating more than the text could describe:
// the reader sees untrusted files.
import { NumlaneError } from "../errors.js";
import { checkCsr, checkDense, CsrMatrix, DenseMatrix } from "../matrix.js";
import { MAXIMUM_BYTES } from "../runtime/heap.js";
import { LineReader, MAX_SIZE, parseDecimal, parseSize, scanNumbers } from "./text.js";

const FORMATS = ["coordinate", "array"];
const FIELDS = ["real", "double", "integer", "pattern"];
const SYMMETRIES = ["general", "symmetric", "skew-symmetric"];

function bad(line: number, message: string): NumlaneError {
  return new NumlaneError("invalid-value", `line ${line}: ${message}`, "text");
}

/** Valid Matrix Market that numlane does not read (the header, line 1). */
const unsupported = (message: string) => new NumlaneError("unsupported", `line 1: ${message}`, "text");

/**
 * A Matrix Market file as a CsrMatrix (coordinate) or DenseMatrix (array,
 * row-major). Symmetric and skew-symmetric files list the lower triangle
 * (skew-symmetric: strictly lower); the other half is filled in.
 */
export function readMatrixMarket(text: string): CsrMatrix | DenseMatrix {
  if (typeof text !== "string") throw new NumlaneError("invalid-type", "expected the file's text as a string", "text");
  const lines = new LineReader(text);
  lines.next();
  const header = lines.fields();
  if (header[0]?.toLowerCase() !== "%%matrixmarket" || header[1]?.toLowerCase() !== "matrix") {
    throw bad(1, "not a Matrix Market matrix (the first line must start with %%MatrixMarket matrix)");
  }
  if (header.length !== 5) throw bad(1, "the header must be '%%MatrixMarket matrix <format> <field> <symmetry>'");
  const [format, field, symmetry] = header.slice(2).map((h) => h.toLowerCase());
  if (!FORMATS.includes(format)) throw bad(1, `unknown format "${format}" (coordinate or array)`);
  if (field === "complex") throw unsupported("complex matrices are not supported (numlane is real-valued)");
  if (!FIELDS.includes(field)) throw bad(1, `unknown field "${field}" (real, integer or pattern)`);
  if (symmetry === "hermitian") throw unsupported("hermitian matrices are not supported (numlane is real-valued)");
  if (!SYMMETRIES.includes(symmetry)) throw bad(1, `unknown symmetry "${symmetry}" (general, symmetric or skew-symmetric)`);
  if (field === "pattern" && format === "array") throw bad(1, "pattern matrices must be in coordinate format");

  // Comments (and blank lines) until the size line.
  let size: string[] = [];
  while (lines.next()) {
    if (lines.isComment()) continue;
    size = lines.fields();
    if (size.length) break;
  }
  const sizeLine = lines.number;
  if (!size.length) throw bad(sizeLine, "the size line is missing");
  const expected = format === "coordinate" ? 3 : 2;
  if (size.length !== expected) throw bad(sizeLine, `the size line must be '${format === "coordinate" ? "rows cols entries" : "rows cols"}', got "${size.join(" ")}"`);
  const [rows, cols, entries] = size.map((s, k) => sizeValue(s, ["rows", "cols", "entries"][k], sizeLine));
  if (symmetry !== "general" && rows !== cols) throw bad(sizeLine, `a ${symmetry} matrix must be square, got ${rows}×${cols}`);
  const options = { symmetry, integer: field === "integer", sizeLine };
  return format === "coordinate"
    ? readCoordinate(lines, rows, cols, entries, { ...options, pattern: field === "pattern" })
    : readArray(lines, rows, cols, options);
}

function sizeValue(s: string, what: string, line: number): number {
  const v = parseSize(s);
  if (v === undefined) {
    throw new NumlaneError("invalid-size", `line ${line}: ${what} "${s}" is not an integer in 0..${MAX_SIZE}`, "text");
  }
  return v;
}

interface ReadOptions { symmetry: string; integer: boolean; sizeLine: number }

function readCoordinate(lines: LineReader, rows: number, cols: number, entries: number, o: ReadOptions & { pattern: boolean }): CsrMatrix {
  const perLine = o.pattern ? 2 : 3;
  // Shortest entry: "1 1" or "1 1 0" plus a line break (none after the last).
  const most = Math.floor((lines.remaining + 1) / (2 * perLine));
  if (entries > most) {
    throw bad(o.sizeLine, `declares ${entries} entries, but the rest of the text (${lines.remaining} characters) holds at most ${most}`);
  }
  const mirror = o.symmetry !== "general";
  const stored = mirror ? 2 * entries : entries;
  // indptr, indices + data, and a vector of each dimension (spmv's x and y).
  const bytes = 4 * (rows + 1) + 12 * stored + 8 * (rows + cols);
  if (bytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `line ${o.sizeLine}: a ${rows}×${cols} sparse matrix with ${entries} entries needs ${bytes} bytes with its vectors, more than wasm's ${MAXIMUM_BYTES}`, "text");
  }
  const I = new Int32Array(stored), J = new Int32Array(stored), V = new Float64Array(stored);
  const sign = o.symmetry === "skew-symmetric" ? -1 : 1;
  const parsed = new Float64Array(3);
  let n = 0;
  for (let e = 0; e < entries;) {
    if (!lines.next()) throw bad(lines.number, `expected ${entries} entries, found ${e}`);
    const line = lines.number;
    let i: number, j: number, v: number;
    if (scanNumbers(lines, perLine, o.pattern, o.integer, parsed)) {
      i = inRange(parsed[0], rows, "row", line);
      j = inRange(parsed[1], cols, "column", line);
      v = o.pattern ? 1 : parsed[2];
    } else {
      const t = lines.fields();
      if (lines.isComment() || !t.length) continue;
      if (t.length !== perLine) throw bad(line, `expected ${perLine} fields ('row col${o.pattern ? "" : " value"}'), got ${t.length}`);
      i = index(t[0], rows, "row", line);
      j = index(t[1], cols, "column", line);
      v = o.pattern ? 1 : value(t[2], o.integer, line);
    }
    if (mirror && j > i) throw bad(line, `entry (${i + 1}, ${j + 1}) is above the diagonal; a ${o.symmetry} file lists the lower triangle only`);
    if (o.symmetry === "skew-symmetric" && i === j) throw bad(line, `entry (${i + 1}, ${j + 1}) is on the diagonal, which a skew-symmetric file must not store`);
    I[n] = i; J[n] = j; V[n++] = v;
    if (mirror && i !== j) { I[n] = j; J[n] = i; V[n++] = sign * v; }
    e++;
  }
  trailing(lines, `more entries than the ${entries} declared`);
  return CsrMatrix.fromCoo(rows, cols, I.subarray(0, n), J.subarray(0, n), V.subarray(0, n));
}

function readArray(lines: LineReader, rows: number, cols: number, o: ReadOptions): DenseMatrix {
  const count = rows * cols;
  if (8 * count > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory", `line ${o.sizeLine}: a ${rows}×${cols} dense matrix needs ${8 * count} bytes, more than wasm's ${MAXIMUM_BYTES}`, "text");
  }
  // Listed column by column; symmetric: lower triangle with the diagonal; skew: strictly lower.
  const skip = o.symmetry === "symmetric" ? 0 : o.symmetry === "skew-symmetric" ? 1 : -1;
  const stored = skip < 0 ? count : skip === 0 ? (rows * (rows + 1)) / 2 : (rows * (rows - 1)) / 2;
  // Shortest value: one digit plus a line break (none after the last).
  if (2 * stored - 1 > lines.remaining) {
    throw bad(o.sizeLine, `declares ${stored} values, but the rest of the text (${lines.remaining} characters) holds at most ${Math.floor((lines.remaining + 1) / 2)}`);
  }
  const data = new Float64Array(count);
  const sign = o.symmetry === "skew-symmetric" ? -1 : 1;
  const parsed = new Float64Array(1);
  let k = 0;
  const nextValue = (): number => {
    for (;;) {
      if (!lines.next()) throw bad(lines.number, `expected ${stored} values, found ${k}`);
      if (scanNumbers(lines, 1, false, o.integer, parsed)) return parsed[0];
      const t = lines.fields();
      if (lines.isComment() || !t.length) continue;
      if (t.length !== 1) throw bad(lines.number, `expected one value per line, got ${t.length}`);
      return value(t[0], o.integer, lines.number);
    }
  };
  for (let j = 0; j < cols && stored > 0; j++) {
    for (let i = skip < 0 ? 0 : j + skip; i < rows; i++) {
      const v = nextValue();
      k++;
      data[i * cols + j] = v;
      if (skip >= 0 && i !== j) data[j * cols + i] = sign * v;
    }
  }
  trailing(lines, `more values than the ${stored} declared`);
  return new DenseMatrix(rows, cols, data);
}

function trailing(lines: LineReader, message: string): void {
  while (lines.next()) {
    if (!lines.isComment() && lines.fields().length) throw bad(lines.number, message);
  }
}

function index(s: string, size: number, what: string, line: number): number {
  const v = parseSize(s);
  if (v === undefined) throw bad(line, `${what} "${s}" is not an integer in 1..${size}`);
  return inRange(v, size, what, line);
}

/** A 1-based index checked against its size, made 0-based. */
function inRange(v: number, size: number, what: string, line: number): number {
  if (v < 1 || v > size) throw bad(line, `${what} "${v}" is not an integer in 1..${size}`);
  return v - 1;
}

function value(s: string, integer: boolean, line: number): number {
  const v = parseDecimal(s, integer);
  if (v === undefined) throw bad(line, `"${s}" is not ${integer ? "a decimal integer" : "a decimal number"}`);
  if (!Number.isFinite(v)) throw bad(line, `${s} is outside the range of float64`);
  return v;
}

/** Shortest round-trip decimal form; keeps the sign of −0 (String() drops it). */
const decimal = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

export function writeMatrixMarket(m: CsrMatrix | DenseMatrix): string {
  const out: string[] = [];
  if (m instanceof CsrMatrix) {
    checkCsr("m", m);
    out.push("%%MatrixMarket matrix coordinate real general", `${m.rows} ${m.cols} ${m.nnz}`);
    for (let i = 0; i < m.rows; i++) {
      for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) out.push(`${i + 1} ${m.indices[k] + 1} ${decimal(m.data[k])}`);
    }
  } else if (m instanceof DenseMatrix) {
    checkDense("m", m);
    out.push("%%MatrixMarket matrix array real general", `${m.rows} ${m.cols}`);
    for (let j = 0; j < m.cols && m.rows > 0; j++) for (let i = 0; i < m.rows; i++) out.push(decimal(m.get(i, j)));
  } else {
    throw new NumlaneError("invalid-type", "expected a CsrMatrix or DenseMatrix", "m");
  }
  return out.join("\n") + "\n";
}
