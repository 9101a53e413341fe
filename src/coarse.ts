// Coarse-space deflation for CG: the aggregates of A's graph and the maps
// that let the kernel (assembly/krylov/coarse.ts) assemble A·Z and E = ZᵀAZ
// from A's values in one pass. Everything here depends on A's pattern only,
// so one plan serves every matrix of a sequence that shares it.
import { NumlaneError } from "./errors.js";
import type { CsrMatrix } from "./matrix.js";
import { integer } from "./validate.js";

/** Options of `coarse` (nl.cg and solveSequence). */
export interface CoarseOptions {
  /**
   * Unknowns per aggregate (a connected group of A's graph; Z holds one
   * indicator vector per aggregate). Default max(8, ⌈√n / 4⌉): about 4√n
   * aggregates, whose coarse solves cost a few vector sweeps per iteration.
   */
  aggregateSize?: number;
}
export const COARSE_KEYS: { readonly [K in keyof Required<CoarseOptions>]: true } = { aggregateSize: true };

/** The coarse solve's envelope may hold this many entries per unknown before the aggregates are made coarser. */
const ENVELOPE_PER_UNKNOWN = 2;

export class CoarsePlan {
  private constructor(
    /** Aggregates (Z's columns). */
    readonly k: number,
    /** Each unknown's aggregate. */
    readonly agg: Int32Array,
    /** (AZ)ᵀ in CSR by aggregate: for aggregate c, the rows i of colRows[colPtr[c] .. colPtr[c+1]), ascending. */
    readonly colPtr: Int32Array,
    readonly colRows: Int32Array,
    /** For each entry e of A, its place in (AZ)ᵀ's values. */
    readonly colPos: Int32Array,
    /** E's lower envelope: row c holds columns first(c)..c at envStart[c] ..; first(c) = c + 1 − (envStart[c+1] − envStart[c]). */
    readonly envStart: Int32Array,
    /** For each entry e of A, its place in E's envelope (−1: above the diagonal, the mirror entry adds it). */
    readonly envPos: Int32Array,
    private readonly indptr: Int32Array,
    private readonly indices: Int32Array,
  ) {}

  /** Whether A has the pattern this plan was made for. */
  fits(A: CsrMatrix): boolean {
    if (A.indptr === this.indptr && A.indices === this.indices) return true;
    if (A.indptr.length !== this.indptr.length || A.indices.length !== this.indices.length) return false;
    for (let i = 0; i < this.indptr.length; i++) if (A.indptr[i] !== this.indptr[i]) return false;
    for (let e = 0; e < this.indices.length; e++) if (A.indices[e] !== this.indices[e]) return false;
    return true;
  }

  /** A plan for A's pattern (A square, checked by the caller). */
  static build(A: CsrMatrix, opts: true | CoarseOptions, path: string): CoarsePlan {
    const n = A.rows;
    const given = opts === true ? undefined : opts.aggregateSize;
    let size = given === undefined ? Math.max(8, Math.ceil(Math.sqrt(n) / 4)) : integer(`${path}.aggregateSize`, given, 1, n);
    for (;;) {
      const { agg, k } = aggregates(A, size);
      const plan = CoarsePlan.maps(A, agg, k);
      // A denser coarse graph than a 2D grid's makes the envelope grow; coarser aggregates bring its solve back to a few sweeps.
      if (given !== undefined || plan.envStart[k] <= ENVELOPE_PER_UNKNOWN * n || size >= n) return plan;
      size *= 2;
    }
  }

  private static maps(A: CsrMatrix, agg: Int32Array, k: number): CoarsePlan {
    const { indptr, indices } = A, n = A.rows, nnz = indices.length;
    // (AZ)ᵀ: the distinct aggregates of each row's columns; rows visited in order, so each aggregate's rows ascend.
    const seen = new Int32Array(k).fill(-1), counts = new Int32Array(k + 1);
    for (let i = 0; i < n; i++) {
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const c = agg[indices[e]];
        if (seen[c] !== i) { seen[c] = i; counts[c + 1]++; }
      }
    }
    const colPtr = new Int32Array(k + 1);
    for (let c = 0; c < k; c++) colPtr[c + 1] = colPtr[c] + counts[c + 1];
    const colRows = new Int32Array(colPtr[k]), colPos = new Int32Array(nnz), fill = colPtr.slice(0, k), slot = new Int32Array(k);
    seen.fill(-1);
    // E's envelope: the smallest aggregate each aggregate's rows reach.
    const firstOf = Int32Array.from({ length: k }, (_, c) => c);
    for (let i = 0; i < n; i++) {
      const ci = agg[i];
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const c = agg[indices[e]];
        if (seen[c] !== i) { seen[c] = i; slot[c] = fill[c]++; colRows[slot[c]] = i; }
        colPos[e] = slot[c];
        if (c < firstOf[ci]) firstOf[ci] = c;
      }
    }
    const envStart = new Int32Array(k + 1);
    for (let c = 0; c < k; c++) envStart[c + 1] = envStart[c] + (c - firstOf[c] + 1);
    const envPos = new Int32Array(nnz);
    for (let i = 0; i < n; i++) {
      const ci = agg[i];
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const c = agg[indices[e]];
        envPos[e] = c <= ci ? envStart[ci] + (c - firstOf[ci]) : -1;
      }
    }
    return new CoarsePlan(k, agg, colPtr, colRows, colPos, envStart, envPos, indptr, indices);
  }
}

/**
 * Greedy aggregation of A's graph: from each unknown not yet taken, in
 * order, a breadth-first ball of up to `size` untaken unknowns; a ball left
 * smaller than size/4 (walled in by others) joins the aggregate of its first
 * taken neighbour. Aggregates are numbered by their first unknown, so on a
 * grid numbered row by row E's profile stays narrow.
 */
function aggregates(A: CsrMatrix, size: number): { agg: Int32Array; k: number } {
  const { indptr, indices } = A, n = A.rows;
  const agg = new Int32Array(n).fill(-1), queue = new Int32Array(n);
  let k = 0;
  for (let s = 0; s < n; s++) {
    if (agg[s] >= 0) continue;
    let head = 0, tail = 0, neighbour = -1;
    agg[s] = k; queue[tail++] = s;
    while (head < tail) {
      const i = queue[head++];
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const j = indices[e];
        if (agg[j] < 0) {
          if (tail < size) { agg[j] = k; queue[tail++] = j; }
        } else if (agg[j] !== k && neighbour < 0) neighbour = agg[j];
      }
    }
    if (tail * 4 < size && neighbour >= 0) {
      for (let t = 0; t < tail; t++) agg[queue[t]] = neighbour;
    } else k++;
  }
  if (k === 0) throw new NumlaneError("invalid-size", "the matrix is empty", "A");
  return { agg, k };
}
