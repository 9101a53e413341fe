// Matrix containers. They validate on construction, never copy what the
// caller gave them, and never modify it.
import { NumlaneError } from "./errors.js";
import { float64Array, int32Array, integer } from "./validate.js";

export type Layout = "row-major" | "column-major";

export class DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly layout: Layout;

  constructor(rows: number, cols: number, data: Float64Array, layout: Layout = "row-major") {
    this.rows = integer("rows", rows, 0);
    this.cols = integer("cols", cols, 0);
    this.data = float64Array("data", data);
    if (layout !== "row-major" && layout !== "column-major") {
      throw new NumlaneError("invalid-value", `expected "row-major" or "column-major", got ${String(layout)}`, "layout");
    }
    this.layout = layout;
    if (data.length !== rows * cols) {
      throw new NumlaneError("invalid-shape", `a ${rows}×${cols} matrix needs ${rows * cols} entries, got ${data.length}`, "data");
    }
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
  private transposed?: CsrMatrix;

  constructor(rows: number, cols: number, indptr: Int32Array, indices: Int32Array, data: Float64Array) {
    this.rows = integer("rows", rows, 0);
    this.cols = integer("cols", cols, 0);
    this.indptr = int32Array("indptr", indptr);
    this.indices = int32Array("indices", indices);
    this.data = float64Array("data", data);
    if (indptr.length !== rows + 1) {
      throw new NumlaneError("invalid-shape", `expected rows + 1 = ${rows + 1} entries, got ${indptr.length}`, "indptr");
    }
    if (indptr[0] !== 0) throw new NumlaneError("invalid-value", `indptr[0] must be 0, got ${indptr[0]}`, "indptr");
    for (let i = 0; i < rows; i++) {
      if (indptr[i + 1] < indptr[i]) throw new NumlaneError("invalid-value", `decreases at row ${i}`, "indptr");
    }
    const nnz = indptr[rows];
    if (indices.length !== nnz || data.length !== nnz) {
      throw new NumlaneError("invalid-shape", `indptr says ${nnz} nonzeros; indices has ${indices.length}, data ${data.length}`, "indices");
    }
    for (let k = 0; k < nnz; k++) {
      const j = indices[k];
      if (j < 0 || j >= cols) throw new NumlaneError("invalid-value", `entry ${k} is column ${j}, outside 0..${cols - 1}`, "indices");
    }
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
    // Sort by (row, col) with two stable counting sorts, then merge duplicates.
    const byCol = countingOrder(j, cols, null);
    const order = countingOrder(i, rows, byCol);
    const indptr = new Int32Array(rows + 1);
    const indices: number[] = [];
    const data: number[] = [];
    let lastRow = -1, lastCol = -1;
    for (const k of order) {
      const r = i[k], c = j[k];
      if (r === lastRow && c === lastCol) { data[data.length - 1] += v[k]; continue; }
      indices.push(c);
      data.push(v[k]);
      indptr[r + 1]++;
      lastRow = r; lastCol = c;
    }
    for (let r = 0; r < rows; r++) indptr[r + 1] += indptr[r];
    return new CsrMatrix(rows, cols, indptr, Int32Array.from(indices), Float64Array.from(data));
  }

  /** The nonzeros of a dense matrix, row by row. */
  static fromDense(m: DenseMatrix): CsrMatrix {
    const indptr = new Int32Array(m.rows + 1);
    const indices: number[] = [], data: number[] = [];
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) {
        const v = m.get(i, j);
        if (v !== 0) { indices.push(j); data.push(v); }
      }
      indptr[i + 1] = indices.length;
    }
    return new CsrMatrix(m.rows, m.cols, indptr, Int32Array.from(indices), Float64Array.from(data));
  }

  /**
   * max |a_ij − a_ji| / max |a_ij| (0 for a symmetric matrix; NaN entries give
   * NaN). Rows may hold duplicates in any order: they are summed first.
   */
  asymmetry(): number {
    if (this.rows !== this.cols) return Infinity;
    const t = this.transpose(), n = this.rows;
    // Fast path: strictly sorted rows (as readMatrixMarket and fromCoo make)
    // with the transpose's pattern compare entry by entry.
    if (this.sortedRows() && sameEntries(this.indptr, t.indptr) && sameEntries(this.indices, t.indices)) {
      let diff = 0, scale = 0;
      for (let k = 0; k < this.data.length; k++) {
        const d = Math.abs(this.data[k] - t.data[k]);
        if (!(d <= diff)) diff = d;
        scale = Math.max(scale, Math.abs(this.data[k]));
      }
      return scale === 0 ? (Number.isNaN(diff) ? NaN : 0) : diff / scale;
    }
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
    return scale === 0 ? (Number.isNaN(diff) ? NaN : 0) : diff / scale;
  }

  /** Columns strictly increasing within every row (so no duplicates). */
  private sortedRows(): boolean {
    const { indptr, indices } = this;
    for (let i = 0; i < this.rows; i++) {
      for (let k = indptr[i] + 1; k < indptr[i + 1]; k++) if (indices[k] <= indices[k - 1]) return false;
    }
    return true;
  }

  /** Aᵀ in CSR form (cached): rows of Aᵀ list their entries in increasing row of A. */
  transpose(): CsrMatrix {
    if (this.transposed) return this.transposed;
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
    this.transposed = new CsrMatrix(cols, rows, tptr, tind, tdata);
    this.transposed.transposed = this;
    return this.transposed;
  }

  toDense(): DenseMatrix {
    const out = new Float64Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let k = this.indptr[r]; k < this.indptr[r + 1]; k++) out[r * this.cols + this.indices[k]] += this.data[k];
    }
    return new DenseMatrix(this.rows, this.cols, out);
  }
}

/** Stable counting sort of positions by key (0..range-1), optionally of a given order. */
function countingOrder(key: ArrayLike<number>, range: number, within: Int32Array | null): Int32Array {
  const n = key.length;
  const count = new Int32Array(range + 1);
  for (let k = 0; k < n; k++) count[key[k] + 1]++;
  for (let r = 0; r < range; r++) count[r + 1] += count[r];
  const out = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    const k = within ? within[t] : t;
    out[count[key[k]]++] = k;
  }
  return out;
}

export type MatrixLike = DenseMatrix | CsrMatrix | number[][];

/** Accepts the three matrix forms every method takes. */
export function toMatrix(name: string, m: unknown): DenseMatrix | CsrMatrix {
  if (m instanceof DenseMatrix || m instanceof CsrMatrix) return m;
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

function sameEntries(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
