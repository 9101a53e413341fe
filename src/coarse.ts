// Coarse spaces: the aggregates of A's graph and the maps that let the
// kernels assemble E = ZᵀAZ (and, for CG's deflation, A·Z) from A's values
// in one pass: CG deflates Z (assembly/krylov/coarse.ts), GMRES and GCRO-DR
// precondition with a coarse correction and Jacobi (assembly/krylov/two-level.ts).
// Everything here depends on A's pattern only, so one plan serves every
// matrix of a sequence that shares it.
import { NumlaneError } from "./errors.js";
import type { CsrMatrix } from "./matrix.js";
import { checkOptions, integer } from "./validate.js";

/** Options of `coarse` (nl.cg and solveSequence). */
export interface CoarseOptions {
  /**
   * Unknowns per aggregate (a connected group of A's graph; Z holds one
   * indicator vector per aggregate). Default max(8, ⌈√n / 4⌉): about 4√n
   * aggregates, whose coarse solves cost a few vector sweeps per iteration.
   */
  aggregateSize?: number;
}
const COARSE_KEYS: { readonly [K in keyof Required<CoarseOptions>]: true } = { aggregateSize: true };

/** opts.coarse checked (an options object's keys, aggregateSize an integer ≥ 1): undefined when it asks for none. */
export function coarseOption(value: unknown, path: string): true | CoarseOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return true;
  checkOptions(path, value as CoarseOptions, COARSE_KEYS);
  const size = (value as CoarseOptions).aggregateSize;
  if (size !== undefined) integer(`${path}.aggregateSize`, size, 1);
  return value as CoarseOptions;
}

/** The coarse solve's envelope may hold this many entries per unknown before the aggregates are made coarser. */
const ENVELOPE_PER_UNKNOWN = 2;

/** Which kernel the plan is for: CG's deflation (A symmetric) or GMRES's two-level preconditioner. */
export type CoarseKind = "cg" | "gmres";

export class CoarsePlan {
  private constructor(
    readonly kind: CoarseKind,
    /** Aggregates (Z's columns). */
    readonly k: number,
    /** Each unknown's aggregate. */
    readonly agg: Int32Array,
    /** E's envelope: row c of L (and column c of U) spans first(c)..c at envStart[c] ..; first(c) = c + 1 − (envStart[c+1] − envStart[c]). */
    readonly envStart: Int32Array,
    /**
     * For each entry e of A, its place in E's envelope: CG, the lower one
     * (−1 above the diagonal: the mirror entry adds it); GMRES, L's
     * envelope then U's (envSize + …) for entries above the diagonal.
     */
    readonly envPos: Int32Array,
    /** CG: (AZ)ᵀ in CSR by aggregate (rows ascending), and each entry of A's place in its values. */
    readonly colPtr: Int32Array,
    readonly colRows: Int32Array,
    readonly colPos: Int32Array,
    /** GMRES: each aggregate's members, ascending. */
    readonly memberPtr: Int32Array,
    readonly members: Int32Array,
    private readonly indptr: Int32Array,
    private readonly indices: Int32Array,
  ) {}

  /** Entries of E's envelope (per triangle). */
  get envSize(): number {
    return this.envStart[this.k];
  }

  /** Whether A has the pattern this plan was made for. */
  fits(A: CsrMatrix): boolean {
    if (A.indptr === this.indptr && A.indices === this.indices) return true;
    if (A.indptr.length !== this.indptr.length || A.indices.length !== this.indices.length) return false;
    for (let i = 0; i < this.indptr.length; i++) if (A.indptr[i] !== this.indptr[i]) return false;
    for (let e = 0; e < this.indices.length; e++) if (A.indices[e] !== this.indices[e]) return false;
    return true;
  }

  /** A plan for A's pattern (A square, checked by the caller). */
  static build(A: CsrMatrix, opts: true | CoarseOptions, path: string, kind: CoarseKind): CoarsePlan {
    const n = A.rows;
    const given = opts === true ? undefined : opts.aggregateSize;
    let size = given === undefined ? Math.max(8, Math.ceil(Math.sqrt(n) / 4)) : integer(`${path}.aggregateSize`, given, 1, n);
    for (;;) {
      const { agg, k } = aggregates(A, size);
      const plan = CoarsePlan.maps(A, agg, k, kind);
      // A denser coarse graph than a 2D grid's makes the envelope grow; coarser aggregates bring its solve back to a few sweeps.
      if (given !== undefined || plan.envSize <= ENVELOPE_PER_UNKNOWN * n || size >= n) return plan;
      size *= 2;
    }
  }

  private static maps(A: CsrMatrix, agg: Int32Array, k: number, kind: CoarseKind): CoarsePlan {
    const { indptr, indices } = A, n = A.rows, nnz = indices.length;
    // E's envelope: the smallest aggregate each aggregate meets (both ways for GMRES, whose A need not be symmetric).
    const firstOf = Int32Array.from({ length: k }, (_, c) => c);
    for (let i = 0; i < n; i++) {
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const ci = agg[i], cj = agg[indices[e]];
        if (cj < ci) firstOf[ci] = Math.min(firstOf[ci], cj);
        else if (kind === "gmres" && ci < cj) firstOf[cj] = Math.min(firstOf[cj], ci);
      }
    }
    const envStart = new Int32Array(k + 1);
    for (let c = 0; c < k; c++) envStart[c + 1] = envStart[c] + (c - firstOf[c] + 1);
    const envSize = envStart[k], envPos = new Int32Array(nnz);
    for (let i = 0; i < n; i++) {
      const ci = agg[i];
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const cj = agg[indices[e]];
        if (cj <= ci) envPos[e] = envStart[ci] + (cj - firstOf[ci]);
        else envPos[e] = kind === "gmres" ? envSize + envStart[cj] + (ci - firstOf[cj]) : -1;
      }
    }
    const none = new Int32Array(0);
    if (kind === "gmres") {
      const memberPtr = new Int32Array(k + 1);
      for (let i = 0; i < n; i++) memberPtr[agg[i] + 1]++;
      for (let c = 0; c < k; c++) memberPtr[c + 1] += memberPtr[c];
      const members = new Int32Array(n), fill = memberPtr.slice(0, k);
      for (let i = 0; i < n; i++) members[fill[agg[i]]++] = i;
      return new CoarsePlan(kind, k, agg, envStart, envPos, none, none, none, memberPtr, members, indptr, indices);
    }
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
    for (let i = 0; i < n; i++) {
      for (let e = indptr[i]; e < indptr[i + 1]; e++) {
        const c = agg[indices[e]];
        if (seen[c] !== i) { seen[c] = i; slot[c] = fill[c]++; colRows[slot[c]] = i; }
        colPos[e] = slot[c];
      }
    }
    return new CoarsePlan(kind, k, agg, envStart, envPos, colPtr, colRows, colPos, none, none, indptr, indices);
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
