// nl.prepare: a sparse matrix checked once and copied into wasm memory once,
// then solved with (cg, gmres, solveSequence) or multiplied (blas.spmv) as
// often as wanted without another check, transpose or copy. Matrices that
// share a sparsity pattern (withValues, or a sequence's systems) keep it in
// wasm memory once and only their values each.
import { NumlaneError } from "./errors.js";
import { checkCsr, checkCsrData, CsrMatrix, type DenseMatrix, firstNonFinite, pairedSweep, relativeAsymmetry, residentCsr, toMatrix } from "./matrix.js";
import type { Heap } from "./runtime/heap.js";
import { allFinite, float64Array } from "./validate.js";

/**
 * For a pattern whose rows are strictly sorted and which equals its own
 * transpose, position k of entry (i, j) → position of entry (j, i); else null.
 * With it a matrix's asymmetry is one pass over its values, no transpose.
 */
export function mirrorOf(rows: number, indptr: Int32Array, indices: Int32Array): Int32Array | null {
  const nnz = indptr[rows];
  // Entries of column j in increasing row: where each row's entries land in the transpose.
  const count = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      if (k > indptr[i] && indices[k] <= indices[k - 1]) return null;
      count[indices[k] + 1]++;
    }
  }
  for (let j = 0; j < rows; j++) {
    count[j + 1] += count[j];
    if (count[j + 1] !== indptr[j + 1]) return null;
  }
  const mirror = new Int32Array(nnz);
  for (let i = 0; i < rows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const t = count[indices[k]]++;
      // Slot t of the transpose is (indices[k], i): the pattern holds (indices[k], indices[t]) there.
      if (indices[t] !== i) return null;
      mirror[k] = t;
    }
  }
  return mirror;
}

/** max |a_ij − a_ji| / max |a_ij| of values on a pattern with `mirror` (as CsrMatrix.asymmetry). */
export function asymmetryOf(data: Float64Array, mirror: Int32Array): number {
  let diff = 0, scale = 0;
  for (let k = 0; k < data.length; k++) {
    const d = Math.abs(data[k] - data[mirror[k]]);
    if (!(d <= diff)) diff = d;
    scale = Math.max(scale, Math.abs(data[k]));
  }
  return relativeAsymmetry(diff, scale);
}

/** A sparsity pattern in wasm memory, kept while a prepared matrix uses it. */
export class Pattern {
  readonly indptr: number;
  readonly indices: number;
  readonly nnz: number;
  /** See mirrorOf; undefined until first asked for. */
  private mirrorCache: Int32Array | null | undefined;
  private users = 0;

  constructor(readonly heap: Heap, readonly rows: number, readonly cols: number, indptr: Int32Array, indices: Int32Array) {
    this.nnz = indptr[rows];
    this.indptr = heap.alloc(4 * (rows + 1));
    try {
      this.indices = heap.alloc(4 * this.nnz);
    } catch (e) {
      heap.free(this.indptr);
      throw e;
    }
    heap.i32.set(indptr, this.indptr >> 2);
    heap.i32.set(indices, this.indices >> 2);
  }

  /** Whether `indptr`, `indices` describe this pattern (the same arrays, or equal ones). */
  holds(rows: number, cols: number, indptr: Int32Array, indices: Int32Array): boolean {
    if (rows !== this.rows || cols !== this.cols || indices.length !== this.nnz) return false;
    const i32 = this.heap.i32, p = this.indptr >> 2, q = this.indices >> 2;
    for (let i = 0; i <= rows; i++) if (indptr[i] !== i32[p + i]) return false;
    for (let k = 0; k < this.nnz; k++) if (indices[k] !== i32[q + k]) return false;
    return true;
  }

  mirror(): Int32Array | null {
    if (this.mirrorCache === undefined) {
      const i32 = this.heap.i32;
      this.mirrorCache = this.rows !== this.cols ? null
        : mirrorOf(this.rows, i32.subarray(this.indptr >> 2, (this.indptr >> 2) + this.rows + 1), i32.subarray(this.indices >> 2, (this.indices >> 2) + this.nnz));
    }
    return this.mirrorCache;
  }

  use(): void {
    this.users++;
  }

  release(): void {
    if (--this.users > 0) return;
    this.heap.free(this.indptr);
    this.heap.free(this.indices);
  }
}

/**
 * A sparse matrix prepared for repeated use (nl.prepare): checked once, its
 * symmetry measured once, and copied into wasm memory, where it stays until
 * free(). It is a copy: changing the arrays it was made from changes nothing.
 * Pass it wherever cg, gmres, solveSequence or blas.spmv take a matrix.
 */
export class PreparedMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  private readonly data: number;
  private asym: number | undefined;
  private callsUsing = 0;
  private state: "live" | "freeing" | "freed" = "live";

  /** Each row's diagonal entries summed (Jacobi's a_ii), found once, when first asked for. */
  private diag: Float64Array | undefined;

  /** @internal Use nl.prepare or withValues. `asym`: the values' asymmetry if already known. */
  constructor(private readonly pattern: Pattern, values: Float64Array, asym?: number) {
    this.rows = pattern.rows;
    this.cols = pattern.cols;
    this.nnz = pattern.nnz;
    const heap = pattern.heap;
    this.data = heap.alloc(8 * this.nnz);
    heap.f64.set(values, this.data >> 3);
    pattern.use();
    this.asym = asym;
  }

  /** @internal Each row's diagonal entries summed in entry order (as surveyCsr), found once. */
  diagonal(): Float64Array {
    this.diag ??= surveyCsr(this.matrix("A"), { symmetry: false, diagonal: true }).diagonal!;
    return this.diag;
  }

  /** max |a_ij − a_ji| / max |a_ij| (0: symmetric), measured once, when first asked for. */
  asymmetry(): number {
    if (this.asym === undefined) {
      const mirror = this.pattern.mirror(), S = this.matrix("A");
      this.asym = this.rows !== this.cols ? Infinity : mirror ? asymmetryOf(S.data, mirror) : S.asymmetry();
    }
    return this.asym;
  }

  /**
   * A matrix with this one's pattern and new values (`data`, nnz entries in
   * this one's entry order): only the values are copied in; the pattern is
   * shared, and stays until every matrix using it is freed.
   */
  withValues(data: Float64Array): PreparedMatrix {
    this.check("this");
    float64Array("data", data);
    if (data.length !== this.nnz) throw new NumlaneError("invalid-shape", `expected the pattern's ${this.nnz} values, got ${data.length}`, "data");
    allFinite("data", data);
    return new PreparedMatrix(this.pattern, data);
  }

  /** Releases its wasm memory (once calls using it have finished); using it afterwards is a NumlaneError. */
  free(): void {
    this.check("this");
    this.state = "freeing";
    if (this.callsUsing === 0) this.release();
  }

  get freed(): boolean {
    return this.state !== "live";
  }

  /** @internal Marks it in use by a call (free() waits for release()); `name` is the argument in errors. */
  hold(name: string): void {
    this.check(name);
    this.callsUsing++;
  }

  /** @internal */
  unhold(): void {
    if (--this.callsUsing === 0 && this.state === "freeing") this.release();
  }

  /**
   * @internal The matrix as a CsrMatrix over its wasm memory (fresh views,
   * valid until memory next grows), which kernels take in place and nothing
   * re-checks. Not for callers: writing to it would change the prepared matrix.
   */
  matrix(name: string): CsrMatrix {
    this.check(name);
    const { heap, rows, cols, nnz } = this.pattern;
    const buffer = heap.memory.buffer;
    return residentCsr(rows, cols,
      new Int32Array(buffer, this.pattern.indptr, rows + 1), new Int32Array(buffer, this.pattern.indices, nnz), new Float64Array(buffer, this.data, nnz),
      { indptr: this.pattern.indptr, indices: this.pattern.indices, data: this.data });
  }

  private check(name: string): void {
    if (this.state !== "live") throw new NumlaneError("invalid-value", "this prepared matrix was freed", name);
  }

  private release(): void {
    this.state = "freed";
    this.pattern.heap.free(this.data);
    this.pattern.release();
  }
}

/**
 * What a sequence's up-front sweep (one synchronous pass over its systems,
 * nothing running between them) remembers of the last sparsity pattern it
 * met, so that matrices sharing it (the same arrays, as a problem family's
 * systems do) pay for their values only: the pattern's structure checked
 * once, and its mirror (see mirrorOf), upper-triangle pairs and diagonal
 * positions found once, for surveyCsr's sweep of each matrix's values.
 */
export class PatternMemo {
  private structure?: { rows: number; cols: number; indptr: Int32Array; indices: Int32Array };
  private last?: { rows: number; indptr: Int32Array; indices: Int32Array; mirror: MirrorPlan | null };

  /**
   * toMatrix(name, A), except that a CsrMatrix over the very arrays of the
   * last one checked here has only its values' array checked: the sweep is
   * synchronous, so those arrays cannot have changed since (a pattern is
   * checked again anyway as it is copied into wasm memory: SequencePreparer).
   */
  toMatrix(name: string, A: unknown): CsrMatrix | DenseMatrix {
    const s = this.structure;
    if (s && A instanceof CsrMatrix && A.indptr === s.indptr && A.indices === s.indices && A.rows === s.rows && A.cols === s.cols) {
      checkCsrData(name, A);
      return A;
    }
    const m = toMatrix(name, A);
    if (m instanceof CsrMatrix) this.structure = { rows: m.rows, cols: m.cols, indptr: m.indptr, indices: m.indices };
    return m;
  }

  /** n zeros, the same array each time: a survey's diagonal with `patterns` lasts until the next survey. */
  scratch(n: number): Float64Array {
    if (this.diagonal.length !== n) this.diagonal = new Float64Array(n);
    else this.diagonal.fill(0);
    return this.diagonal;
  }

  private diagonal = new Float64Array(0);

  /** S's mirror plan; null when its rows are not strictly sorted or its pattern is not symmetric. */
  mirror(S: CsrMatrix): MirrorPlan | null {
    if (S.rows !== S.cols) return null;
    const last = this.last;
    const same = last !== undefined && last.rows === S.rows && (last.indptr === S.indptr || equal(last.indptr, S.indptr)) && (last.indices === S.indices || equal(last.indices, S.indices));
    if (!same) this.last = { rows: S.rows, indptr: S.indptr, indices: S.indices, mirror: mirrorPlan(S.rows, S.indptr, S.indices) };
    return this.last!.mirror;
  }
}

/**
 * A symmetric pattern's entries as sweepMirrored reads them: `upper`, the
 * position k of each entry above the diagonal (so each off-diagonal pair
 * once), `mirror` its partner's; `diagonal`, each row's diagonal position
 * (−1: none; strictly sorted rows hold at most one).
 */
interface MirrorPlan { upper: Int32Array; mirror: Int32Array; diagonal: Int32Array }

function mirrorPlan(rows: number, indptr: Int32Array, indices: Int32Array): MirrorPlan | null {
  const mirror = mirrorOf(rows, indptr, indices);
  if (!mirror) return null;
  const diagonal = new Int32Array(rows).fill(-1);
  let pairs = 0;
  for (let i = 0; i < rows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      if (indices[k] === i) diagonal[i] = k;
      else if (indices[k] > i) pairs++;
    }
  }
  const upper = new Int32Array(pairs), partner = new Int32Array(pairs);
  let t = 0;
  for (let i = 0; i < rows; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) if (indices[k] > i) { upper[t] = k; partner[t++] = mirror[k]; }
  }
  return { upper, mirror: partner, diagonal };
}

const NO_DIAGONAL = new Float64Array(0);

/** What the solvers need to know of a CSR matrix's values, from one sweep over them (surveyCsr). */
export interface CsrSurvey {
  /** Position in data of the first entry that is not finite; −1 when all are. */
  nonFinite: number;
  /**
   * max |a_ij − a_ji| / max |a_ij| (as CsrMatrix.asymmetry) when the sweep
   * could pair every entry with its mirror; undefined when not asked for, or
   * when the rows are not strictly sorted or the pattern is not symmetric
   * (then CsrMatrix.asymmetry finds it through a transpose).
   */
  asymmetry?: number;
  /** Each row's diagonal entries summed in entry order (Jacobi's a_ii), when asked for (with `patterns`, its scratch array). */
  diagonal?: Float64Array;
}

/**
 * Finiteness, symmetry and the diagonal of a structurally valid CSR matrix,
 * in one sweep over its entries instead of a pass each. With `mirrors` (a
 * sequence's), the pattern's mirror pairs the entries; else pairedSweep,
 * CsrMatrix.asymmetry's fast path, does. Every number is the one the
 * separate passes give: the same maxima, the same sums in the same order.
 */
export function surveyCsr(S: CsrMatrix, want: { symmetry: boolean; diagonal: boolean; patterns?: PatternMemo }): CsrSurvey {
  const n = S.rows, square = S.rows === S.cols;
  // Filled by the sweep: each row's diagonal sum, or (empty) none asked for.
  const diagonal = !want.diagonal ? NO_DIAGONAL : want.patterns ? want.patterns.scratch(n) : new Float64Array(n);
  const mirror = want.symmetry && square && want.patterns ? want.patterns.mirror(S) : null;
  const sweep = !want.symmetry || !square || (want.patterns && !mirror) ? sweepValues(S, diagonal)
    : mirror ? sweepMirrored(S, diagonal, mirror) : pairedSweep(S, diagonal);
  const asymmetry = !want.symmetry ? undefined : !square ? Infinity : sweep.asymmetry;
  return { nonFinite: sweep.nonFinite, asymmetry, diagonal: want.diagonal ? diagonal : undefined };
}

// The sweeps, one loop each so that each stays simple for the JIT. `diagonal`
// (n entries, or none) gets each row's diagonal entries summed in entry order.

/** Finiteness (and the diagonal). */
function sweepValues(S: CsrMatrix, diagonal: Float64Array): { nonFinite: number; asymmetry?: number } {
  const { indptr, indices, data } = S, n = S.rows, diag = diagonal.length > 0;
  let bad = 0;
  if (diag) {
    for (let i = 0; i < n; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        const v = data[k];
        bad += v - v;
        if (indices[k] === i) diagonal[i] += v;
      }
    }
  } else {
    for (let k = 0; k < data.length; k++) bad += data[k] - data[k];  // NaN once any entry is NaN or ±∞
  }
  return { nonFinite: bad === 0 ? -1 : firstNonFinite(data) };
}

/**
 * Finiteness, the diagonal and the asymmetry through the pattern's mirror
 * plan (the maxima asymmetryOf finds: |a − b| = |b − a|, so each pair once;
 * |v − v| = 0 on the diagonal; with a non-finite entry the asymmetry is moot,
 * the matrix is refused). Three simple loops rather than one branchy one.
 */
function sweepMirrored(S: CsrMatrix, diagonal: Float64Array, plan: MirrorPlan): { nonFinite: number; asymmetry?: number } {
  const data = S.data, nnz = data.length, { upper, mirror } = plan;
  // max |a_ij| over four chains (one would wait on every max); it is finite
  // exactly when every entry is (Math.max keeps a NaN, |±∞| is ∞).
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, k = 0;
  for (; k + 3 < nnz; k += 4) {
    s0 = Math.max(s0, Math.abs(data[k])); s1 = Math.max(s1, Math.abs(data[k + 1]));
    s2 = Math.max(s2, Math.abs(data[k + 2])); s3 = Math.max(s3, Math.abs(data[k + 3]));
  }
  for (; k < nnz; k++) s0 = Math.max(s0, Math.abs(data[k]));
  const scale = Math.max(s0, s1, s2, s3);
  if (scale - scale !== 0) return { nonFinite: firstNonFinite(data), asymmetry: NaN };
  let d0 = 0, d1 = 0, t = 0;
  for (; t + 1 < upper.length; t += 2) {
    d0 = Math.max(d0, Math.abs(data[upper[t]] - data[mirror[t]]));
    d1 = Math.max(d1, Math.abs(data[upper[t + 1]] - data[mirror[t + 1]]));
  }
  if (t < upper.length) d0 = Math.max(d0, Math.abs(data[upper[t]] - data[mirror[t]]));
  const at = plan.diagonal;
  for (let i = 0; i < diagonal.length; i++) if (at[i] >= 0) diagonal[i] += data[at[i]];
  return { nonFinite: -1, asymmetry: relativeAsymmetry(Math.max(d0, d1), scale) };
}

function equal(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Runs `call` with the prepared matrices among `matrices` held (refused if freed, kept until it ends). */
export async function holding<T>(matrices: readonly { matrix: unknown; name: string }[], call: () => Promise<T>): Promise<T> {
  const held: PreparedMatrix[] = [];
  try {
    for (const { matrix, name } of matrices) {
      if (matrix instanceof PreparedMatrix) { matrix.hold(name); held.push(matrix); }
    }
    return await call();
  } finally {
    for (const m of held) m.unhold();
  }
}

/** Prepares `A` (any matrix form) in `heap`; dense matrices are stored as CSR. */
export function prepareMatrix(heap: Heap, A: unknown, name = "A"): PreparedMatrix {
  if (A instanceof PreparedMatrix) throw new NumlaneError("invalid-type", "is prepared already", name);
  const m = toMatrix(name, A);
  const S = m instanceof CsrMatrix ? m : CsrMatrix.fromDense(m);
  allFinite(`${name}.data`, S.data);
  const pattern = new Pattern(heap, S.rows, S.cols, S.indptr, S.indices);
  // Held across the construction, so a failed one gives the pattern back.
  pattern.use();
  try {
    return new PreparedMatrix(pattern, S.data);
  } finally {
    pattern.release();
  }
}

/**
 * The matrices of a sequence as each one's turn comes: prepared (values
 * copied in) over the last pattern kept when they share it, else over a new
 * one; the caller's prepared matrices as they are.
 */
export class SequencePreparer {
  private pattern?: Pattern;

  constructor(private readonly heap: Heap) {}

  /**
   * `S` checked already, `asym` its asymmetry if measured; free the result
   * after its solve. A pattern new to wasm memory has its structure checked
   * again as it is copied in (the caller's arrays may have changed during
   * the solves before), since kernels index through it unchecked.
   */
  prepare(S: CsrMatrix, name: string, asym?: number): PreparedMatrix {
    if (!this.pattern || !this.pattern.holds(S.rows, S.cols, S.indptr, S.indices)) {
      checkCsr(name, S);
      this.close();
      const next = new Pattern(this.heap, S.rows, S.cols, S.indptr, S.indices);
      next.use();
      this.pattern = next;
    }
    return new PreparedMatrix(this.pattern, S.data, asym);
  }

  /** Ends the sequence: the kept pattern goes once its last matrix is freed. */
  close(): void {
    this.pattern?.release();
    this.pattern = undefined;
  }
}
