// Factored preconditioners M = L·Lᵀ for CG on a symmetric matrix in CSR, built
// on the host (once per solve) and applied in wasm (assembly/krylov/cg.ts,
// triSolve): the strictly lower part of L, the strictly upper part of Lᵀ
// (the same entries in CSR order of Lᵀ), and L's diagonal.
import { NumlaneError } from "../errors.js";
import type { CsrMatrix } from "../matrix.js";

export interface TriangularFactor {
  lower: { indptr: Int32Array; indices: Int32Array; data: Float64Array };
  upper: { indptr: Int32Array; indices: Int32Array; data: Float64Array };
  diag: Float64Array;
  /** Diagonal shift α the incomplete factorisation needed (A + α·diag(A)); 0 if none. */
  shift: number;
}

/** The lower triangle of A (columns sorted, duplicates summed) with the diagonal apart. */
function lowerOf(A: CsrMatrix): { ptr: Int32Array; idx: Int32Array; val: Float64Array; d: Float64Array } {
  const n = A.rows, d = new Float64Array(n);
  const ptr = new Int32Array(n + 1);
  const idx: number[] = [], val: number[] = [];
  // Columns → position in this row's output, to sum duplicates in any order.
  const at = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const start = idx.length;
    for (let k = A.indptr[i]; k < A.indptr[i + 1]; k++) {
      const j = A.indices[k];
      if (j === i) d[i] += A.data[k];
      else if (j < i) {
        if (at[j] < start) { at[j] = idx.length; idx.push(j); val.push(A.data[k]); } else val[at[j]] += A.data[k];
      }
    }
    // Sort the row by column if it came unsorted.
    let sorted = true;
    for (let t = start + 1; t < idx.length; t++) if (idx[t] < idx[t - 1]) { sorted = false; break; }
    if (!sorted) {
      const order = Array.from({ length: idx.length - start }, (_, t) => start + t).sort((a, b) => idx[a] - idx[b]);
      const ci = order.map((t) => idx[t]), cv = order.map((t) => val[t]);
      ci.forEach((c, t) => { idx[start + t] = c; val[start + t] = cv[t]; });
    }
    ptr[i + 1] = idx.length;
  }
  for (let i = 0; i < n; i++) {
    if (!(d[i] > 0)) throw new NumlaneError("invalid-value", `diagonal entry ${i} is ${d[i]}: not positive definite, so this preconditioner cannot be built`, "A");
  }
  return { ptr, idx: Int32Array.from(idx), val: Float64Array.from(val), d };
}

/** Lᵀ's strictly upper part in CSR from L's strictly lower part. */
function transposeLower(n: number, ptr: Int32Array, idx: Int32Array, val: Float64Array) {
  const tptr = new Int32Array(n + 1);
  for (let k = 0; k < idx.length; k++) tptr[idx[k] + 1]++;
  for (let i = 0; i < n; i++) tptr[i + 1] += tptr[i];
  const next = tptr.slice(0, n), tidx = new Int32Array(idx.length), tval = new Float64Array(idx.length);
  for (let i = 0; i < n; i++) {
    for (let k = ptr[i]; k < ptr[i + 1]; k++) { const dst = next[idx[k]]++; tidx[dst] = i; tval[dst] = val[k]; }
  }
  return { indptr: tptr, indices: tidx, data: tval };
}

/** SSOR: L = (D + ω·L_A)·D^(−1/2) / √(ω(2−ω)), so L·Lᵀ = (D + ωL_A)·D⁻¹·(D + ωL_Aᵀ) / (ω(2−ω)). */
export function ssorFactor(A: CsrMatrix, omega: number): TriangularFactor {
  if (typeof omega !== "number" || !(omega > 0 && omega < 2)) {
    throw new NumlaneError("invalid-value", `SSOR needs 0 < ω < 2, got ${String(omega)}`, "opts.omega");
  }
  const n = A.rows, { ptr, idx, val, d } = lowerOf(A);
  const c = 1 / Math.sqrt(omega * (2 - omega));
  const lval = new Float64Array(val.length), diag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    diag[i] = Math.sqrt(d[i]) * c;
    for (let k = ptr[i]; k < ptr[i + 1]; k++) lval[k] = (omega * val[k] / Math.sqrt(d[idx[k]])) * c;
  }
  return { lower: { indptr: ptr, indices: idx, data: lval }, upper: transposeLower(n, ptr, idx, lval), diag, shift: 0 };
}

/**
 * IC(0): the Cholesky factor restricted to A's lower pattern. Where a pivot
 * turns non-positive (possible for SPD matrices that are not M-matrices),
 * the factorisation restarts on A + α·diag(A), α doubling from 1e-3
 * (Manteuffel's shift); the shift used is reported.
 */
export function ic0Factor(A: CsrMatrix): TriangularFactor {
  const n = A.rows, { ptr, idx, val, d } = lowerOf(A);
  for (let shift = 0; shift <= 1e3; shift = shift === 0 ? 1e-3 : shift * 2) {
    const L = new Float64Array(val.length), diag = new Float64Array(n);
    // Column → position in the current row, for the sparse dot products.
    const pos = new Int32Array(n).fill(-1);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      for (let k = ptr[i]; k < ptr[i + 1]; k++) pos[idx[k]] = k;
      for (let k = ptr[i]; k < ptr[i + 1]; k++) {
        const j = idx[k];
        // L_ij = (a_ij − Σ_{m<j} L_im·L_jm) / L_jj over the shared pattern.
        let s = val[k];
        for (let t = ptr[j]; t < ptr[j + 1]; t++) {
          const p = pos[idx[t]];
          if (p >= 0 && p < k) s -= L[p] * L[t];
        }
        L[k] = s / diag[j];
      }
      let s = d[i] * (1 + shift);
      for (let k = ptr[i]; k < ptr[i + 1]; k++) s -= L[k] * L[k];
      for (let k = ptr[i]; k < ptr[i + 1]; k++) pos[idx[k]] = -1;
      if (!(s > 0)) { ok = false; break; }
      diag[i] = Math.sqrt(s);
    }
    if (ok) return { lower: { indptr: ptr, indices: idx, data: L }, upper: transposeLower(n, ptr, idx, L), diag, shift };
  }
  throw new NumlaneError("invalid-value", "IC(0) breaks down even with a large diagonal shift: A is far from positive definite", "A");
}
