// Matrix containers. They validate on construction, never copy what the
// caller gave them, and never modify it.
import { NumlaneError } from "./errors.js";
import { MAXIMUM_BYTES } from "./runtime/heap.js";
import { float64Array, int32Array, integer } from "./validate.js";

export type Layout = "row-major" | "column-major";

export class DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly layout: Layout;

  constructor(rows: number, cols: number, data: Float64Array, layout: Layout = "row-major") {
    checkDenseParts("", rows, cols, data, layout);
    this.rows = rows;
    this.cols = cols;
    this.data = data;
    this.layout = layout;
  }

  /** From nested arrays (rows of equal length). */
  static from(rows: number[][]): DenseMatrix {
    if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
      throw new NumlaneError("invalid-type", "expected an array of row arrays", "rows");
    }
    const m = rows.length, n = m ? rows[0].length : 0;
    const data = new Float64Array(m * n);
    rows.forEach((r, i) => {
      if (r.length !== n) throw new NumlaneError("invalid-shape", `row ${i} has ${r.length} entries, row 0 has ${n}`, "rows");
      for (let j = 0; j < n; j++) {
        if (typeof r[j] !== "number") throw new NumlaneError("invalid-type", `entry (${i}, ${j}) is not a number`, "rows");
        data[i * n + j] = r[j];
      }
    });
    return new DenseMatrix(m, n, data);
  }

  get(i: number, j: number): number {
    return this.layout === "row-major" ? this.data[i * this.cols + j] : this.data[j * this.rows + i];
  }
}

export class CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly data: Float64Array;

  constructor(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array) {
    checkCsrParts("", rows, cols, indptr, indices, data);
    this.rows = rows;
    this.cols = cols;
    this.indptr = indptr;
    this.indices = indices;
    this.data = data;
  }

  get nnz(): number {
    return this.indptr[this.rows];
  }

  /** From coordinates; duplicates are summed, columns sorted within each row. */
  static fromCoo(rows: number, cols: number, i: ArrayLike<number>, j: ArrayLike<number>, v: ArrayLike<number>): CsrMatrix {
    integer("rows", rows, 0);
    integer("cols", cols, 0);
    if (i.length !== j.length || i.length !== v.length) {
      throw new NumlaneError("invalid-shape", `i, j and v must have equal lengths, got ${i.length}, ${j.length}, ${v.length}`, "i");
    }
    const n = i.length;
    for (let k = 0; k < n; k++) {
      if (!Number.isInteger(i[k]) || i[k] < 0 || i[k] >= rows) throw new NumlaneError("invalid-value", `entry ${k} is row ${i[k]}, outside 0..${rows - 1}`, "i");
      if (!Number.isInteger(j[k]) || j[k] < 0 || j[k] >= cols) throw new NumlaneError("invalid-value", `entry ${k} is column ${j[k]}, outside 0..${cols - 1}`, "j");
    }
    // Order by row (stable counting sort), then by column within each row
    // (ties kept in input order, so duplicates are summed in input order).
    // indptr serves as the row cursor too: one rows-sized array in all.
    const indptr = new Int32Array(rows + 1);
    for (let k = 0; k < n; k++) indptr[i[k] + 1]++;
    for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
    const order = new Int32Array(n);
    for (let k = 0; k < n; k++) order[indptr[i[k]]++] = k;
    indptr.copyWithin(1, 0, rows); // the cursors ended at each row's end: shift back
    indptr[0] = 0;
    const byColumn = (a: number, b: number) => j[a] - j[b] || a - b;
    const indices = new Int32Array(n), data = new Float64Array(n);
    let nnz = 0, next = 0;
    for (let r = 0; r < rows; r++) {
      // indptr[r] is already compacted; the row's span in order starts where the last ended.
      const start = next, end = indptr[r + 1];
      next = end;
      if (end - start > 1) order.subarray(start, end).sort(byColumn);
      let lastCol = -1;
      for (let t = start; t < end; t++) {
        const k = order[t], c = j[k];
        if (c === lastCol) { data[nnz - 1] += v[k]; continue; }
        indices[nnz] = c;
        data[nnz++] = v[k];
        lastCol = c;
      }
      indptr[r + 1] = nnz;
    }
    return new CsrMatrix(rows, cols, indptr, indices.slice(0, nnz), data.slice(0, nnz));
  }

  /** The nonzeros of a dense matrix, row by row. */
  static fromDense(m: DenseMatrix): CsrMatrix {
    checkDense("m", m);
    let nnz = 0;
    for (let k = 0; k < m.data.length; k++) if (m.data[k] !== 0) nnz++;
    const indptr = new Int32Array(m.rows + 1);
    const indices = new Int32Array(nnz), data = new Float64Array(nnz);
    let k = 0;
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) {
        const v = m.get(i, j);
        if (v !== 0) { indices[k] = j; data[k++] = v; }
      }
      indptr[i + 1] = k;
    }
    return new CsrMatrix(m.rows, m.cols, indptr, indices, data);
  }

  /**
   * max |a_ij − a_ji| / max |a_ij| (0 for a symmetric matrix; NaN entries give
   * NaN). Rows may hold duplicates in any order: they are summed first.
   */
  asymmetry(): number {
    if (this.rows !== this.cols) return Infinity;
    // Fast path, without forming Aᵀ: strictly sorted rows (as readMatrixMarket
    // and fromCoo make) with a symmetric pattern.
    const paired = pairedSweep(this, NO_DIAGONAL).asymmetry;
    if (paired !== undefined) return paired;
    const t = this.transpose(), n = this.rows;
    const acc = new Float64Array(n), mark = new Int32Array(n).fill(-1);
    let diff = 0, scale = 0;
    for (let i = 0; i < n; i++) {
      // acc = row i of A − row i of Aᵀ, over the union of their columns.
      const touched: number[] = [];
      for (let k = this.indptr[i]; k < this.indptr[i + 1]; k++) {
        const j = this.indices[k];
        if (mark[j] !== i) { mark[j] = i; acc[j] = 0; touched.push(j); }
        acc[j] += this.data[k];
        scale = Math.max(scale, Math.abs(this.data[k]));
      }
      for (let k = t.indptr[i]; k < t.indptr[i + 1]; k++) {
        const j = t.indices[k];
        if (mark[j] !== i) { mark[j] = i; acc[j] = 0; touched.push(j); }
        acc[j] -= t.data[k];
      }
      for (const j of touched) {
        const d = Math.abs(acc[j]);
        if (!(d <= diff)) diff = d;  // NaN propagates
      }
    }
    return relativeAsymmetry(diff, scale);
  }

  /**
   * Aᵀ in CSR form: rows of Aᵀ list their entries in increasing row of A.
   * Not cached: the arrays are the caller's and may change between calls.
   */
  transpose(): CsrMatrix {
    checkCsr("A", this);
    const { rows, cols, indptr, indices, data } = this;
    const nnz = this.nnz;
    const tptr = new Int32Array(cols + 1);
    for (let k = 0; k < nnz; k++) tptr[indices[k] + 1]++;
    for (let c = 0; c < cols; c++) tptr[c + 1] += tptr[c];
    const next = tptr.slice(0, cols);
    const tind = new Int32Array(nnz), tdata = new Float64Array(nnz);
    for (let r = 0; r < rows; r++) {
      for (let k = indptr[r]; k < indptr[r + 1]; k++) {
        const dst = next[indices[k]]++;
        tind[dst] = r;
        tdata[dst] = data[k];
      }
    }
    return new CsrMatrix(cols, rows, tptr, tind, tdata);
  }

  toDense(): DenseMatrix {
    checkCsr("A", this);
    if (8 * this.rows * this.cols > MAXIMUM_BYTES) {
      throw new NumlaneError("out-of-memory", `a dense ${this.rows}×${this.cols} matrix needs ${8 * this.rows * this.cols} bytes, more than wasm's ${MAXIMUM_BYTES}`, "A");
    }
    const out = new Float64Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let k = this.indptr[r]; k < this.indptr[r + 1]; k++) out[r * this.cols + this.indices[k]] += this.data[k];
    }
    return new DenseMatrix(this.rows, this.cols, out);
  }
}

const NO_DIAGONAL = new Float64Array(0);

/**
 * One sweep over a CSR matrix's entries (structure valid): whether they are
 * finite (nonFinite: the first position that is not, or −1), each row's
 * diagonal entries summed in entry order into `diagonal` (n entries; none
 * when empty), and max |a_ij − a_ji| / max |a_ij| by pairing each entry with
 * its mirror: with strictly sorted rows the mirrors asked of row j come in
 * increasing i, so one cursor per row finds them all (no transpose: ~nnz
 * reads, one rows-sized array). Asymmetry undefined when the rows are not
 * strictly sorted or an entry has no mirror stored.
 */
export function pairedSweep(A: CsrMatrix, diagonal: Float64Array): { nonFinite: number; asymmetry?: number } {
  const { indptr, indices, data } = A, n = A.rows, diag = diagonal.length > 0;
  const cursor = indptr.slice(0, n);
  let bad = 0, diff = 0, scale = 0, lower = 0, matched = 0, paired = true;
  for (let i = 0; i < n; i++) {
    const start = indptr[i], end = indptr[i + 1];
    for (let k = start; k < end; k++) {
      const j = indices[k], v = data[k];
      bad += v - v;  // NaN once any entry is NaN or ±∞
      if (diag && j === i) diagonal[i] += v;
      scale = Math.max(scale, Math.abs(v));
      if (!paired) continue;
      if (k > start && j <= indices[k - 1]) { paired = false; continue; }
      if (j < i) { lower++; continue; }
      let c = cursor[j];
      const rowEnd = indptr[j + 1];
      while (c < rowEnd && indices[c] < i) c++;
      if (c === rowEnd || indices[c] !== i) { paired = false; continue; }
      cursor[j] = c + 1;
      if (j !== i) matched++;
      const d = Math.abs(v - data[c]);
      if (!(d <= diff)) diff = d;  // NaN propagates
    }
  }
  return { nonFinite: bad === 0 ? -1 : firstNonFinite(data), asymmetry: paired && matched === lower ? relativeAsymmetry(diff, scale) : undefined };
}

/** Position of the first entry that is not finite, or −1. */
export function firstNonFinite(data: Float64Array): number {
  for (let k = 0; k < data.length; k++) if (data[k] - data[k] !== 0) return k;
  return -1;
}

/** max |a_ij − a_ji| / max |a_ij| from its two maxima (0 for a zero matrix; NaN stays NaN). */
export function relativeAsymmetry(diff: number, scale: number): number {
  return scale === 0 ? (Number.isNaN(diff) ? NaN : 0) : diff / scale;
}

/**
 * The CSR invariants the kernels rely on (they read through these indices
 * unchecked): sizes, indptr from 0 rising to nnz, columns in 0..cols-1.
 * `name` prefixes the argument path ("A" → "A.indices"; "" → "indices").
 */
function checkCsrParts(name: string, rows: unknown, cols: unknown, indptr: unknown, indices: unknown, data: unknown): void {
  const arg = (part: string) => (name ? `${name}.${part}` : part);
  const m = integer(arg("rows"), rows, 0), n = integer(arg("cols"), cols, 0);
  const ptr = int32Array(arg("indptr"), indptr), ind = int32Array(arg("indices"), indices);
  float64Array(arg("data"), data);
  if (ptr.length !== m + 1) throw new NumlaneError("invalid-shape", `expected rows + 1 = ${m + 1} entries, got ${ptr.length}`, arg("indptr"));
  if (ptr[0] !== 0) throw new NumlaneError("invalid-value", `indptr[0] must be 0, got ${ptr[0]}`, arg("indptr"));
  for (let i = 0; i < m; i++) {
    if (ptr[i + 1] < ptr[i]) throw new NumlaneError("invalid-value", `decreases at row ${i} (${ptr[i]} then ${ptr[i + 1]})`, arg("indptr"));
  }
  const nnz = ptr[m];
  if (ind.length !== nnz || (data as Float64Array).length !== nnz) {
    throw new NumlaneError("invalid-shape", `indptr says ${nnz} nonzeros; indices has ${ind.length}, data ${(data as Float64Array).length}`, arg("indices"));
  }
  // One branch-free pass: j | (n − 1 − j) is negative exactly when j is
  // outside 0..n-1. A bad entry's position is looked up only on failure.
  let outside = 0;
  const last = n - 1;
  for (let k = 0; k < nnz; k++) {
    const j = ind[k];
    outside |= j | (last - j);
  }
  if (outside < 0) {
    const k = ind.findIndex((j) => j < 0 || j >= n);
    throw new NumlaneError("invalid-value", `entry ${k} is column ${ind[k]}, outside 0..${n - 1}`, arg("indices"));
  }
}

/** checkCsr's checks of A's values array alone, for a structure checked already (PatternMemo). */
export function checkCsrData(name: string, A: CsrMatrix): void {
  const data = float64Array(`${name}.data`, A.data), nnz = A.indptr[A.rows];
  if (data.length !== nnz) throw new NumlaneError("invalid-shape", `indptr says ${nnz} nonzeros; indices has ${A.indices.length}, data ${data.length}`, `${name}.indices`);
}

/**
 * Re-checks a CsrMatrix's structure where it is about to be used: its fields
 * are the caller's arrays and may have been changed since construction.
 */
export function checkCsr(name: string, A: CsrMatrix): CsrMatrix {
  if (residentAddresses.has(A)) return A;
  checkCsrParts(name, A.rows, A.cols, A.indptr, A.indices, A.data);
  return A;
}

function checkDenseParts(name: string, rows: unknown, cols: unknown, data: unknown, layout: unknown): void {
  const arg = (part: string) => (name ? `${name}.${part}` : part);
  const m = integer(arg("rows"), rows, 0), n = integer(arg("cols"), cols, 0);
  const d = float64Array(arg("data"), data);
  if (layout !== "row-major" && layout !== "column-major") {
    throw new NumlaneError("invalid-value", `expected "row-major" or "column-major", got ${String(layout)}`, arg("layout"));
  }
  if (d.length !== m * n) throw new NumlaneError("invalid-shape", `a ${m}×${n} matrix needs ${m * n} entries, got ${d.length}`, arg("data"));
}

/**
 * Puts a CSR matrix's arrays in wasm memory for a kernel (copying unless they
 * live there) and returns their addresses. The check runs here, right before
 * the copy with no await between: the arrays are the caller's and may have
 * changed since construction, or while the call waited for the pool, and
 * kernels index through them unchecked. `rows`, `cols`: the shape the call
 * sized its vectors for.
 */
export function csrInput(
  scope: { input(view: Int32Array | Float64Array): number; live<T extends Int32Array | Float64Array>(view: T): T },
  name: string, A: { indptr: Int32Array; indices: Int32Array; data: Float64Array }, rows: number, cols: number,
): { indptr: number; indices: number; data: number } {
  const resident = residentAddresses.get(A);
  if (resident) return resident;
  checkCsrParts(name, rows, cols, scope.live(A.indptr), scope.live(A.indices), scope.live(A.data));
  return { indptr: scope.input(A.indptr), indices: scope.input(A.indices), data: scope.input(A.data) };
}

/** Where a resident matrix's arrays live in wasm memory (see residentCsr). */
const residentAddresses = new WeakMap<object, { indptr: number; indices: number; data: number }>();

/**
 * A CsrMatrix over arrays checked once and kept in wasm memory by a prepared
 * matrix (operator.ts), which no caller can reach: checkCsr and csrInput
 * take it as it is, and csrInput gives `addresses` (still right after memory
 * growth has detached unshared views).
 */
export function residentCsr(
  rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array,
  addresses: { indptr: number; indices: number; data: number },
): CsrMatrix {
  const m = Object.create(CsrMatrix.prototype) as { -readonly [K in keyof CsrMatrix]: CsrMatrix[K] };
  Object.assign(m, { rows, cols, indptr, indices, data });
  residentAddresses.set(m, addresses);
  return m as CsrMatrix;
}

/** Re-checks a DenseMatrix's shape and layout likewise. */
export function checkDense(name: string, D: DenseMatrix): DenseMatrix {
  checkDenseParts(name, D.rows, D.cols, D.data, D.layout);
  return D;
}

export type MatrixLike = DenseMatrix | CsrMatrix | number[][];

/** Accepts the three matrix forms every method takes. */
export function toMatrix(name: string, m: unknown): DenseMatrix | CsrMatrix {
  if (m instanceof CsrMatrix) return checkCsr(name, m);
  if (m instanceof DenseMatrix) return checkDense(name, m);
  if (Array.isArray(m)) {
    try {
      return DenseMatrix.from(m as number[][]);
    } catch (e) {
      if (e instanceof NumlaneError) throw new NumlaneError(e.code, e.message.replace(/^rows: /, ""), name);
      throw e;
    }
  }
  throw new NumlaneError("invalid-type", "expected a DenseMatrix, CsrMatrix or number[][]", name);
}

