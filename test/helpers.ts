// Test helpers: a seeded PRNG so failures reproduce, float comparisons, SciPy.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { seededRandom as rng } from "../src/sequence.js";

/** mulberry32, the library's own seeded stream: small, fast, deterministic. */
export { rng };

/** n uniform values in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Same bits? (NaN-safe, distinguishes -0.) */
export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  const x = new Float64Array(1), y = new Float64Array(1);
  const xb = new BigUint64Array(x.buffer), yb = new BigUint64Array(y.buffer);
  for (let i = 0; i < a.length; i++) {
    x[0] = a[i]; y[0] = b[i];
    if (xb[0] !== yb[0]) return false;
  }
  return true;
}

/** Plain float64 A·x for a CSR matrix (any object with rows, indptr, indices, data). */
export function matvec(A: { rows: number; indptr: Int32Array; indices: Int32Array; data: Float64Array }, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) y[i] += A.data[k] * x[A.indices[k]];
  return y;
}

/** ‖v‖₂ and ‖a − b‖₂, plainly. */
export const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, a) => s + a * a, 0));
export const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => norm(Array.from(a, (v, i) => v - b[i]));

const PY = "/usr/bin/python3";
/**
 * Runs a Python script (Debian's SciPy/NumPy) with JSON on stdin and parses its
 * JSON stdout; undefined where SciPy is missing (outside CI, where it must be there).
 */
export function python(script: string, input: unknown): any {
  if (!existsSync(PY) && !process.env.CI) return undefined;
  const run = spawnSync(PY, ["-c", script], { input: JSON.stringify(input), maxBuffer: 1 << 27 });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`SciPy is required in CI: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout.toString());
}

/** Milliseconds from abort() to the call's rejection, which must be an AbortError; the abort comes `afterMs` after the start. */
export async function abortLatency(start: (signal: AbortSignal) => Promise<unknown>, afterMs: number): Promise<number> {
  const c = new AbortController();
  const call = start(c.signal).then(() => new Error("the call finished before the abort: make the problem longer"), (e: unknown) => e);
  await new Promise((r) => setTimeout(r, afterMs));
  const t0 = performance.now();
  c.abort();
  const e = await call;
  const ms = performance.now() - t0;
  if ((e as Error)?.name !== "AbortError") throw e;
  return ms;
}

/** The median of some numbers. */
export const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

/**
 * scikit-learn's Lasso (no intercept) on the same CSR to tolerance `tol`: its
 * coefficients and objective (‖Aw − b‖²/2n + α‖w‖₁, nl.bcd's scaling).
 */
export function sklearnLassoCsr(
  A: { data: ArrayLike<number>; indices: ArrayLike<number>; indptr: ArrayLike<number>; rows: number; cols: number },
  b: Float64Array, alpha: number, tol = 1e-14,
): { w: number[]; obj: number } | undefined {
  return python(`
import json, sys, numpy as np, scipy.sparse as sp
from sklearn.linear_model import Lasso
d = json.load(sys.stdin)
A = sp.csr_matrix((np.array(d["data"]), np.array(d["indices"]), np.array(d["indptr"])), shape=(d["n"], d["p"]))
b = np.array(d["b"])
w = Lasso(alpha=d["alpha"], fit_intercept=False, tol=d["tol"], max_iter=10000000).fit(A, b).coef_
print(json.dumps({"w": w.tolist(), "obj": float(((A @ w - b) ** 2).sum() / (2 * d["n"]) + d["alpha"] * np.abs(w).sum())}))
`, { data: Array.from(A.data), indices: Array.from(A.indices), indptr: Array.from(A.indptr), n: A.rows, p: A.cols, b: Array.from(b), alpha, tol });
}

/** max|Aᵀb|/n for a CSR A: the smallest l1 weight whose lasso solution (no intercept) is 0. */
export function lassoLambdaMax(A: { data: ArrayLike<number>; indices: ArrayLike<number>; indptr: ArrayLike<number>; rows: number; cols: number }, b: ArrayLike<number>): number {
  const atb = new Float64Array(A.cols);
  for (let r = 0; r < A.rows; r++) for (let k = A.indptr[r]; k < A.indptr[r + 1]; k++) atb[A.indices[k]] += A.data[k] * b[r];
  return Math.max(...Array.from(atb, Math.abs)) / A.rows;
}
