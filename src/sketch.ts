// Least squares, direct or sketched. nl.lstsq solves min ‖A·x − b‖ for a tall
// A (m ≥ n) by Householder QR ("qr"), by QR of a sparse sketch S·[A b]
// ("sketch-and-solve": fast, accurate to the sketch's distortion), or by LSQR
// preconditioned with R from a QR of S·A ("sketch-and-precondition", as
// Blendenpik / LSRN: full accuracy, iterations independent of cond(A)).
// Every O(m·n) step runs in wasm; the LSQR loop is one SPMD launch.
import { NumlaneError } from "./errors.js";
import { chunkCount, type CallOptions, type Engine } from "./engine.js";
import { CsrMatrix, DenseMatrix, toMatrix } from "./matrix.js";
import { CallScope } from "./runtime/heap.js";
import { allFinite, float64Array, integer, nonNegative } from "./validate.js";


export type LstsqMethod = "auto" | "qr" | "sketch-and-solve" | "sketch-and-precondition" | "iterative-sketching";
export type SketchKind = "gaussian" | "srht" | "countsketch" | "sparse-sign" | "leverage";
export type LstsqReason = "solved" | "converged" | "max-iterations" | "rank-deficient" | "aborted";

export interface LstsqOptions extends CallOptions {
  /** Default "auto": sketch-and-precondition for tall problems (m ≥ 8n, m·n ≥ 2e5), else qr. */
  method?: LstsqMethod;
  /** Default "sparse-sign" (8 nonzeros per row of A); "countsketch" has 1. */
  sketch?: SketchKind;
  /** Rows of S·A; default 4n (at least n + 8, at most m). */
  sketchSize?: number;
  /** Seed of the sketch (default 1): the same seed gives the same sketch everywhere. */
  seed?: number;
  /** LSQR stops when ‖Aᵀr‖ ≤ rtol·‖A‖·‖r‖; default 1e-12. */
  rtol?: number;
  /** Default 1000 (LSQR needs tens with a good preconditioner). */
  maxIter?: number;
}

export interface LstsqResult {
  x: Float64Array;
  /** ‖b − A·x‖, recomputed. */
  residualNorm: number;
  /** LSQR iterations (0 for the direct methods). */
  iterations: number;
  /** Rows of the sketch (0 for qr). */
  sketchSize: number;
  /** Estimate of cond₂(A) from R (power iterations on RᵀR and its inverse). */
  conditionEstimate: number;
  method: Exclude<LstsqMethod, "auto">;
  /** "solved" (direct), "converged", "max-iterations", or "rank-deficient" (R has a zero pivot: x is not unique). */
  reason: LstsqReason;
}

const LSQR_REASONS: Record<number, LstsqReason> = { 0: "converged", 1: "max-iterations", 2: "converged", 4: "aborted" };

export interface SketchOptions extends CallOptions {
  /** "sparse-sign" (default, 8 nonzeros per row of A) or "countsketch" (1). */
  kind?: SketchKind;
  /** Rows of S·A (≥ 8 for sparse-sign). */
  size: number;
  /** Default 1: the same seed gives the same sketch in every runtime and thread count. */
  seed?: number;
}

export class Sketch {
  constructor(private readonly e: Engine) {}

  /** S·A on its own (a size × n dense matrix, row-major). */
  async sketch(A: DenseMatrix | CsrMatrix | number[][], opts: SketchOptions): Promise<DenseMatrix> {
    const m0 = toMatrix("A", A);
    const D = m0 instanceof CsrMatrix ? m0.toDense() : m0;
    const m = D.rows, n = D.cols;
    allFinite("A", D.data);
    if (opts === null || typeof opts !== "object") throw new NumlaneError("invalid-type", "expected { size, kind?, seed? }", "opts");
    const kind = checkKind(opts.kind ?? "sparse-sign", "opts.kind");
    const s = kind === "countsketch" ? 1 : 8;
    const d = integer("opts.size", opts.size, s, 2 ** 31 - 1);
    const seed = integer("opts.seed", opts.seed ?? 1, 0, 2 ** 52);
    const scope = new CallScope(this.e.heap, [D.data], 8 * (m * n + d * n) + 2 * 64);
    try {
      const src = D.layout === "row-major" ? D.data : rowMajor(D);
      const ap = scope.input(src), out = scope.alloc(8 * Math.max(1, d * n));
      await this.e.pool.run("sketch_sparse_f64", [ap, m, n, d, s, seed, out], { signal: opts.signal, threads: this.e.threadsFor(8 * m * n, opts) });
      return new DenseMatrix(d, n, this.e.heap.f64.slice(out >> 3, (out >> 3) + d * n));
    } finally {
      scope.free();
    }
  }

  async lstsq(A: DenseMatrix | CsrMatrix | number[][], b: Float64Array, opts: LstsqOptions = {}): Promise<LstsqResult> {
    const m0 = toMatrix("A", A);
    const D = m0 instanceof CsrMatrix ? m0.toDense() : m0;
    const m = D.rows, n = D.cols;
    if (n === 0 || m === 0) throw new NumlaneError("invalid-size", `A is ${m}×${n}: nothing to solve`, "A");
    if (m < n) throw new NumlaneError("invalid-shape", `A is ${m}×${n}: lstsq needs at least as many rows as columns`, "A");
    allFinite("A", D.data);
    float64Array("b", b);
    if (b.length !== m) throw new NumlaneError("invalid-shape", `expected ${m} entries to match A's rows, got ${b.length}`, "b");
    allFinite("b", b);
    let method = opts.method ?? "auto";
    if (!["auto", "qr", "sketch-and-solve", "sketch-and-precondition", "iterative-sketching"].includes(method)) {
      throw new NumlaneError("invalid-value", `unknown method ${String(method)}`, "opts.method");
    }
    if (method === "iterative-sketching") throw new NumlaneError("unsupported", "iterative-sketching is not built yet; use sketch-and-precondition", "opts.method");
    const kind = checkKind(opts.sketch ?? "sparse-sign", "opts.sketch");
    const seed = integer("opts.seed", opts.seed ?? 1, 0, 2 ** 52);
    const rtol = nonNegative("opts.rtol", opts.rtol ?? 1e-12);
    const maxIter = integer("opts.maxIter", opts.maxIter ?? 1000, 1, 2 ** 30);
    if (method === "auto") method = m >= 8 * n && m * n >= 2e5 ? "sketch-and-precondition" : "qr";
    const s = kind === "countsketch" ? 1 : 8;
    const d = method === "qr" ? 0 : integer("opts.sketchSize", opts.sketchSize ?? Math.min(m, Math.max(4 * n, n + 8)), Math.max(n, s), m);

    const heap = this.e.heap;
    const w = n + 1; // columns of [A b]
    const chunks = chunkCount(m);
    const need = 8 * (m * w + 2 * Math.max(m, d) * w + n * n + 10 * n + 2 * m + chunks * (n + 3) + 64) + 16 * 64;
    const scope = new CallScope(heap, [D.data, b], need);
    try {
      const threads = this.e.threadsFor(8 * m * n, opts);
      const run = (k: string, args: number[], t = threads) => this.e.pool.run(k, args, { signal: opts.signal, threads: t });
      // [A b] row-major (m × w), then whatever each method needs from it.
      const ab = scope.alloc(8 * m * w);
      const f64 = () => heap.f64;
      const src = D.layout === "row-major" ? D.data : rowMajor(D);
      for (let i = 0; i < m; i++) {
        f64().set(src.subarray(i * n, i * n + n), (ab >> 3) + i * w);
        f64()[(ab >> 3) + i * w + n] = b[i];
      }
      const bp = scope.input(b);

      // A QR of a rows×w row-major block: column-major copy, Householder on n columns.
      const qr = async (block: number, rows: number) => {
        const cm = scope.alloc(8 * rows * w), diag = scope.alloc(8 * n), vn = scope.alloc(8 * n);
        await run("transpose_f64", [block, rows, w, cm]);
        await run("qr_householder_f64", [cm, rows, w, n, diag, vn]);
        const h = f64(), R = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          R[i * n + i] = h[(diag >> 3) + i];
          for (let j = i + 1; j < n; j++) R[i * n + j] = h[(cm >> 3) + j * rows + i];
        }
        const c = Float64Array.from({ length: n }, (_, i) => h[(cm >> 3) + n * rows + i]);
        return { R, c };
      };

      let x: Float64Array<ArrayBufferLike>, iterations = 0, reason: LstsqReason = "solved", R: Float64Array;
      if (method === "qr" || method === "sketch-and-solve") {
        let block = ab, rows = m;
        if (method === "sketch-and-solve") {
          block = scope.alloc(8 * d * w);
          await run("sketch_sparse_f64", [ab, m, w, d, s, seed, block]);
          rows = d;
        }
        const f = await qr(block, rows);
        R = f.R;
        if (rankDeficient(R, n, rows)) reason = "rank-deficient";
        x = backSolve(R, n, f.c);
      } else {
        // Sketch S·A (the b column rides along unused), R from its QR, then LSQR on A·R⁻¹.
        const sa = scope.alloc(8 * d * w);
        await run("sketch_sparse_f64", [ab, m, w, d, s, seed, sa]);
        R = (await qr(sa, d)).R;
        if (rankDeficient(R, n, d)) {
          reason = "rank-deficient";
          x = new Float64Array(n).fill(NaN);
        } else {
          const rm = scope.alloc(8 * n * n);
          f64().set(R, rm >> 3);
          const xp = scope.alloc(8 * n), work = scope.alloc(8 * (m + 7 * n));
          const vecs = scope.alloc(8 * chunks * n), norms = scope.alloc(8 * chunks), sc = scope.alloc(64), out = scope.alloc(64);
          f64().fill(0, sc >> 3, (sc >> 3) + 8);
          await this.e.pool.run("lsqr_f64", [ab, w, m, n, bp, rm, xp, maxIter, rtol, work, vecs, norms, sc, out], {
            signal: opts.signal, onProgress: opts.onProgress, long: true, threads,
          });
          const h = f64();
          iterations = h[out >> 3];
          reason = LSQR_REASONS[h[(out >> 3) + 1]];
          x = h.slice(xp >> 3, (xp >> 3) + n);
        }
      }
      // ‖b − A·x‖ in wasm: y = b − A·x with gemv over the [A b] rows.
      const xp2 = scope.alloc(8 * n), y = scope.alloc(8 * m), parts = scope.alloc(8 * (2 * chunks + 1));
      f64().set(x, xp2 >> 3);
      f64().copyWithin(y >> 3, bp >> 3, (bp >> 3) + m);
      await run("gemv_rows_f64", [ab, w, xp2, y, m, n, -1, 1]);
      await run("nrm2_f64", [y, 1, m, parts + 8, parts]);
      return {
        x, residualNorm: f64()[parts >> 3], iterations, sketchSize: d,
        conditionEstimate: reason === "rank-deficient" ? Infinity : conditionEstimate(R, n), method, reason,
      };
    } finally {
      scope.free();
    }
  }
}

function checkKind(kind: unknown, name: string): "countsketch" | "sparse-sign" {
  if (!["gaussian", "srht", "countsketch", "sparse-sign", "leverage"].includes(kind as string)) throw new NumlaneError("invalid-value", `unknown sketch ${String(kind)}`, name);
  if (kind !== "countsketch" && kind !== "sparse-sign") {
    throw new NumlaneError("unsupported", `the ${String(kind)} sketch is not built yet; use "sparse-sign" or "countsketch"`, name);
  }
  return kind;
}

function rowMajor(D: DenseMatrix): Float64Array {
  const out = new Float64Array(D.rows * D.cols);
  for (let j = 0; j < D.cols; j++) for (let i = 0; i < D.rows; i++) out[i * D.cols + j] = D.data[j * D.rows + i];
  return out;
}

/**
 * A pivot of R at rounding level next to the largest (LAPACK's default rank
 * tolerance, rows·ε): A is numerically rank-deficient, x is not unique.
 */
function rankDeficient(R: Float64Array, n: number, rows: number): boolean {
  let big = 0;
  for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(R[i * n + i]));
  const tol = Math.max(rows, n) * Number.EPSILON * big;
  for (let i = 0; i < n; i++) if (!(Math.abs(R[i * n + i]) > tol)) return true;
  return false;
}

function backSolve(R: Float64Array, n: number, c: Float64Array): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = c[i];
    for (let j = i + 1; j < n; j++) s -= R[i * n + j] * x[j];
    x[i] = s / R[i * n + i];
  }
  return x;
}

/** ‖R‖₂·‖R⁻¹‖₂ by power iterations on RᵀR and (RᵀR)⁻¹ (an estimate, from below). */
function conditionEstimate(R: Float64Array, n: number): number {
  const mul = (v: Float64Array, t: boolean) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) {
      if (t) out[j] += R[i * n + j] * v[i]; else out[i] += R[i * n + j] * v[j];
    }
    return out;
  };
  const solve = (v: Float64Array, t: boolean) => {
    const z = new Float64Array(n);
    if (t) {
      for (let j = 0; j < n; j++) { let s = v[j]; for (let i = 0; i < j; i++) s -= R[i * n + j] * z[i]; z[j] = s / R[j * n + j]; }
    } else {
      for (let i = n - 1; i >= 0; i--) { let s = v[i]; for (let j = i + 1; j < n; j++) s -= R[i * n + j] * z[j]; z[i] = s / R[i * n + i]; }
    }
    return z;
  };
  const norm = (v: Float64Array) => { let s = 0; for (const a of v) s += a * a; return Math.sqrt(s); };
  const power = (apply: (v: Float64Array) => Float64Array) => {
    let v: Float64Array = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 13) / 13);
    let lam = 0;
    for (let k = 0; k < 30; k++) {
      const nv = norm(v);
      v = v.map((a) => a / nv);
      const u = apply(v);
      const next = norm(u);
      v = u;
      if (Math.abs(next - lam) <= 1e-6 * next) { lam = next; break; }
      lam = next;
    }
    return Math.sqrt(lam);
  };
  const big = power((v) => mul(mul(v, false), true));
  const small = power((v) => solve(solve(v, true), false));
  return big * small;
}
