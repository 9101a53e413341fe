// GCRO-DR(m, k): restarted GMRES that carries a recycled subspace U (with
// C = A·M⁻¹·U orthonormal) through its restarts and from one system to the
// next (Parks, de Sturler, Mackey, Johnson & Maiti, SIAM J. Sci. Comput. 2006),
// right-preconditioned by a diagonal or not at all; one SPMD launch.
//
// Solve start (s > 0 vectors given): C = A·M⁻¹·U, then C orthonormalised by
// Gram matrices in two passes (columns that turn out dependent are dropped)
// with the same transform on U. Each cycle:
//   r = b − A·x; x += M⁻¹·U·Cᵀr, r −= C·Cᵀr; v₀ = r/‖r‖
//   m − s Arnoldi steps on (I − C·Cᵀ)·A·M⁻¹: CGS2 against [C, V] together,
//   so Ḡ = [D, B; 0, H̄] (D = diag 1/‖u_i‖) is upper Hessenberg and the
//   least-squares problem is GMRES's, Givens rotations and all
//   x += M⁻¹·[U·D, V]·y; then (k > 0) the harmonic Ritz problem
//   Ḡᵀ·Ḡ·z = θ·Ḡᵀ·[C, V]ᵀ·[U·D, V]·z on thread 0 (assembly/blas/eigen.ts)
//   gives P; Ḡ·P = Q·R; U ← [U·D, V]·P·R⁻¹, C ← [C, V]·Q (row by row).
// With no space the first cycle is a plain GMRES(m) cycle; with k = 0 every
// cycle is. Small dense work is done by every thread on its own copy (same
// numbers in, same decisions out) except the eigenproblem, which thread 0
// solves between two barriers; reductions go through fixed chunks, so the
// bits do not depend on the thread count.
//
// Honest stops, as gmres.ts: a cycle whose estimate meets the tolerance, or a
// projected start residual that does (r −= C·Cᵀr is a recurrence), is only a
// claim; the next cycle's start checks ‖b − A·x‖ itself, before projecting,
// and restarts from it at most TRUE_RESIDUAL_RESTARTS times (then STAGNATED).
// A breakdown keeps the least-squares solution over the columns before it.
import { aborted, barrier, rangeStart } from "../core/team";
import { CHUNK, chunkCount, sumPartials } from "../core/chunks";
import { at, padded } from "../core/memory";
import { csrRowDot, residualPartials } from "../blas/sparse";
import { divideRows, dotContiguous } from "../blas/level1";
import { arnoldiProduct, orthogonalise } from "./arnoldi";
import { COARSE_VIEW_BYTES, CoarseView, twoLevelApply, twoLevelSetup, twoLevelWorkF64 } from "./two-level";
import { harmonicRitz, harmonicScratch } from "../blas/eigen";
import { backSubstitute, givensColumn, stepEstimate, stepOutcome } from "./givens";
import { GO_ON, trueResidualNorm, trueResidualVerdict } from "./reasons";
import { ABORTED, BREAKDOWN, CONVERGED, GcrodrF64Out, HarmonicRitzF64Out, MAX_ITERATIONS } from "../generated/layouts";

/** Rows of partials (each chunkCount(n) f64) the kernel needs. */
// @ts-ignore: decorator
@inline function partialRows(m: i32, k: i32): i32 {
  return 2 * k * k + 2 * k + k * (m + 2) + 2 * (m + 1) + 2;
}

/** Per-thread scratch (f64). */
// @ts-ignore: decorator
@inline function threadScratch(m: i32, k: i32): i32 {
  return 2 * (m + 1) * m + 5 * (m + 1) + 2 * k * k + 18 * k + 8;
}

/** Scratch shared with thread 0's eigen-solve (f64): coefU, coefC, W, Ḡ·P, norms, μ, P, the solver's own. */
// @ts-ignore: decorator
@inline function sharedScratch(m: i32, k: i32): i32 {
  return harmonicScratch(m) + (m + 1) * m + 2 * (m + 1) + 4 * (m + 1) * k + k + 8;
}

// The workspace ("work"), carved in this order, each region padded to 64 bytes.
const WORK_C = 0;        // C = A·M⁻¹·U, k lines of n
const WORK_BASIS = 1;    // V: m + 1 lines of n
const WORK_T = 2;        // M⁻¹·v_j: one line
const WORK_PARTIALS = 3; // partialRows rows of chunkCount(n)
const WORK_SCRATCH = 4;  // threadScratch per thread
const WORK_SHARED = 5;   // sharedScratch
const WORK_COARSE = 6;   // two-level preconditioner: E's factors, sums, μ per thread (two-level.ts)
const WORK_VIEWS = 7;    // one CoarseView per thread
const WORK_END = 8;

/** f64 of workspace region `region` (WORK_*). */
function workRegion(region: i32, n: i32, m: i32, k: i32, nthreads: i32, coarse: i32, coarseEnv: i32): usize {
  switch (region) {
    case WORK_COARSE: return coarse > 0 ? twoLevelWorkF64(coarse, coarseEnv, nthreads) : 0;
    case WORK_VIEWS: return coarse > 0 ? (COARSE_VIEW_BYTES >> 3) * <usize>nthreads : 0;
    case WORK_C: return <usize>k * <usize>n;
    case WORK_BASIS: return <usize>(m + 1) * <usize>n;
    case WORK_T: return <usize>n;
    case WORK_PARTIALS: return <usize>partialRows(m, k) * <usize>chunkCount(n);
    case WORK_SCRATCH: return <usize>threadScratch(m, k) * <usize>nthreads;
    case WORK_SHARED: return <usize>sharedScratch(m, k);
    default: return 0;
  }
}

/** Byte offset of workspace region `region` (WORK_END: the workspace's size). */
function workOffset(region: i32, n: i32, m: i32, k: i32, nthreads: i32, coarse: i32, coarseEnv: i32): usize {
  let bytes: usize = 0;
  for (let r = 0; r < region; r++) bytes += padded(workRegion(r, n, m, k, nthreads, coarse, coarseEnv) << 3);
  return bytes;
}

/** Bytes of gcrodr_f64's workspace. */
export function gcrodrWorkspace(n: i32, m: i32, k: i32, nthreads: i32, coarse: i32, coarseEnv: i32): f64 {
  return <f64>workOffset(WORK_END, n, m, k, nthreads, coarse, coarseEnv);
}

/**
 * Solves A·x = b; x holds x0 on entry. U holds s0 recycled vectors (k×n
 * room) and comes back with the updated ones (their count in out.size).
 * `dinv`: the inverse diagonal (Jacobi) or 0. `history` gets the residual
 * estimates (historyCap f64); `work`: gcrodrWorkspace bytes.
 */
export function gcrodr_f64(
  indptr: usize, indices: usize, data: usize, n: i32,
  b: usize, x: usize, dinv: usize, m: i32, k: i32, U: usize, s0: i32,
  history: usize, historyCap: i32, maxIter: i32, tol: f64,
  coarse: i32, coarseAgg: usize, coarseMemberPtr: usize, coarseMembers: usize, coarseEnvStart: usize, coarseEnvPos: usize, coarseEnv: i32,
  out: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const C = work + workOffset(WORK_C, n, m, k, nthreads, coarse, coarseEnv), basis = work + workOffset(WORK_BASIS, n, m, k, nthreads, coarse, coarseEnv);
  const t = work + workOffset(WORK_T, n, m, k, nthreads, coarse, coarseEnv), partials = work + workOffset(WORK_PARTIALS, n, m, k, nthreads, coarse, coarseEnv);
  const scratch = work + workOffset(WORK_SCRATCH, n, m, k, nthreads, coarse, coarseEnv), shared = work + workOffset(WORK_SHARED, n, m, k, nthreads, coarse, coarseEnv);
  const chunks = chunkCount(n);
  const c0 = rangeStart(chunks, tid, nthreads), c1 = rangeStart(chunks, tid + 1, nthreads);
  const my0 = c0 * CHUNK, my1 = min(n, c1 * CHUNK);
  // Partials regions, each used by one phase (a region is rewritten only after
  // a barrier that every reader of its previous contents has passed).
  const pGram = partials;                          // 2 passes × k² rows
  const pStart = at(pGram, 2 * k * k * chunks);    // Cᵀr (k) and ‖u‖² (k)
  const pEnd = at(pStart, 2 * k * chunks);         // CᵀU (k²) and VᵀU ((m+1)·k)
  const p1 = at(pEnd, k * (m + 2) * chunks), p2 = at(p1, (m + 1) * chunks);
  const pn = at(p2, (m + 1) * chunks), pt = at(pn, chunks);
  // This thread's Ḡ, rotated (H) and raw (G), (m+1)×m column-major, and the rest.
  const ld = m + 1;
  const H = at(scratch, tid * threadScratch(m, k)), G = at(H, ld * m);
  const cs = at(G, ld * m), sn = at(cs, ld), g = at(sn, ld), y = at(g, ld);
  const gram = at(y, ld), T = at(gram, k * k), D = at(T, k * k), coef = at(D, k), rowTmp = at(coef, k);
  const R = at(H, threadScratch(m, k) - ld);  // the second Gram–Schmidt pass's coefficients (last ld slots)
  // Shared with thread 0's eigen-solve: new coefficients for U and C.
  const coefU = shared, coefC = at(coefU, ld * k), Wt = at(coefC, ld * k), GP = at(Wt, ld * m);
  const gpNorm = at(GP, ld * k), wr = at(gpNorm, k), wi = at(wr, ld), P = at(wi, ld), eig = at(P, ld * k);

  // The two-level preconditioner (this thread's view), or 0: Jacobi or none.
  let cv: usize = 0;
  if (coarse > 0) {
    const view = work + workOffset(WORK_VIEWS, n, m, k, nthreads, coarse, coarseEnv) + <usize>tid * COARSE_VIEW_BYTES;
    const ok = twoLevelSetup(changetype<CoarseView>(view), data, load<i32>(indptr + (<usize>n << 2)), coarse, coarseAgg, coarseMemberPtr, coarseMembers,
      coarseEnvStart, coarseEnvPos, coarseEnv, work + workOffset(WORK_COARSE, n, m, k, nthreads, coarse, coarseEnv), at(out, GcrodrF64Out.coarse), team, tid, nthreads);
    if (ok) cv = view;
  }

  let s = s0, iter = 0, step = 0;
  let reason = MAX_ITERATIONS;
  let resid: f64 = 0;
  let done = false;
  let claimed = false;  // the last cycle claimed convergence: verify it
  let restarts = 0;     // cycles begun because the true residual did not meet it

  if (s > 0) {
    // C = A·M⁻¹·U (the basis slots hold M⁻¹·U while the SpMVs read it).
    for (let a = 0; a < s; a++) {
      const ua = at(U, a * n), va = at(basis, a * n);
      if (cv != 0) {
        twoLevelApply(changetype<CoarseView>(cv), indptr, indices, data, dinv, ua, va, my0, my1, team, nthreads);
        continue;
      }
      for (let i = my0; i < my1; i++) {
        const u = load<f64>(at(ua, i));
        store<f64>(at(va, i), dinv != 0 ? load<f64>(at(dinv, i)) * u : u);
      }
    }
    barrier(team, nthreads);
    for (let a = 0; a < s; a++) {
      const ca = at(C, a * n), va = at(basis, a * n);
      for (let i = my0; i < my1; i++) store<f64>(at(ca, i), csrRowDot(indptr, indices, data, va, i));
    }
    for (let pass = 0; pass < 2 && s > 0; pass++) {
      const pg = at(pGram, pass * k * k * chunks);
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        for (let a = 0; a < s; a++) for (let bb = 0; bb <= a; bb++) {
          store<f64>(at(pg, (a * s + bb) * chunks + c), dotContiguous(at(C, a * n + i0), at(C, bb * n + i0), i1 - i0));
        }
      }
      barrier(team, nthreads);
      for (let a = 0; a < s; a++) for (let bb = 0; bb <= a; bb++) {
        const v = sumPartials(at(pg, (a * s + bb) * chunks), chunks);
        store<f64>(at(gram, a * s + bb), v);
        store<f64>(at(gram, bb * s + a), v);
      }
      const kept = gramOrthonormalize(gram, s, T, coef);
      applyRowwise(U, C, n, s, T, kept, my0, my1, rowTmp);
      s = kept;
    }
  }

  while (!done) {
    // r = b − A·x into v₀; with a space, Cᵀr and ‖u_a‖² partials alongside.
    residualPartials(indptr, indices, data, n, b, x, pn, c0, c1, basis);
    for (let c = c0; c < c1; c++) {
      const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
      for (let a = 0; a < s; a++) {
        store<f64>(at(pStart, a * chunks + c), dotContiguous(at(C, a * n + i0), at(basis, i0), i1 - i0));
        store<f64>(at(pStart, (s + a) * chunks + c), dotContiguous(at(U, a * n + i0), at(U, a * n + i0), i1 - i0));
      }
    }
    barrier(team, nthreads);
    if (claimed) {
      const trueNorm = Math.sqrt(sumPartials(pn, chunks));
      const verdict = trueResidualVerdict(trueNorm, tol, true, restarts);
      if (verdict != GO_ON) { reason = verdict; resid = trueNorm; break; }
      restarts++;
      claimed = false;
    }
    if (s > 0) {
      // x += M⁻¹·U·(Cᵀr), r −= C·(Cᵀr): r ⟂ C up to rounding, which this cleans.
      for (let a = 0; a < s; a++) {
        store<f64>(at(coef, a), sumPartials(at(pStart, a * chunks), chunks));
        store<f64>(at(D, a), 1.0 / Math.sqrt(sumPartials(at(pStart, (s + a) * chunks), chunks)));
      }
      for (let c = c0; c < c1; c++) {
        const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
        let sq: f64 = 0;
        for (let i = i0; i < i1; i++) {
          let dx: f64 = 0, ri = load<f64>(at(basis, i));
          for (let a = 0; a < s; a++) {
            const ca = load<f64>(at(coef, a));
            dx += load<f64>(at(U, a * n + i)) * ca;
            ri -= load<f64>(at(C, a * n + i)) * ca;
          }
          if (cv != 0) store<f64>(at(t, i), dx);  // M⁻¹ mixes rows: applied below
          else {
            if (dinv != 0) dx *= load<f64>(at(dinv, i));
            store<f64>(at(x, i), load<f64>(at(x, i)) + dx);
          }
          store<f64>(at(basis, i), ri);
          sq += ri * ri;
        }
        store<f64>(at(pt, c), sq);
      }
      if (cv != 0) {
        twoLevelApply(changetype<CoarseView>(cv), indptr, indices, data, dinv, t, t, my0, my1, team, nthreads);
        for (let i = my0; i < my1; i++) store<f64>(at(x, i), load<f64>(at(x, i)) + load<f64>(at(t, i)));
      }
      barrier(team, nthreads);
    }
    const beta = Math.sqrt(sumPartials(s > 0 ? pt : pn, chunks));
    resid = beta;
    if (tid == 0 && iter == 0) store<f64>(history, beta);
    if (beta <= tol) {
      // Without a space beta is ‖b − A·x‖ itself; with one, a claim to verify.
      if (s == 0) { reason = CONVERGED; break; }
      claimed = true;
      continue;
    }
    if (!isFinite(beta)) { reason = BREAKDOWN; break; }
    if (iter >= maxIter) { reason = MAX_ITERATIONS; break; }
    divideRows(basis, my0, my1, beta);
    // Ḡ's first s columns: D on the diagonal. g = β·e_s.
    for (let j = 0; j < s; j++) for (let i = 0; i <= m; i++) {
      const v = i == j ? load<f64>(at(D, j)) : 0.0;
      store<f64>(at(H, j * ld + i), v);
      store<f64>(at(G, j * ld + i), v);
    }
    for (let i = 0; i <= m; i++) store<f64>(at(g, i), i == s ? beta : 0.0);

    const steps = m - s;
    let j = 0;
    for (; j < steps; j++) {
      const col = s + j;  // Ḡ's column for this step
      const vj = at(basis, j * n), wj = at(basis, (j + 1) * n);
      arnoldiProduct(indptr, indices, data, dinv, cv, vj, t, wj, my0, my1, team, nthreads);
      // Gram–Schmidt against [C_0..C_{s−1}, v_0..v_j]: coefficient a lands in Ḡ's row a.
      const stop = out + (<usize>((step & 1) == 0 ? GcrodrF64Out.stop : GcrodrF64Out.stopOdd) << 3);
      step++;
      const hnext = orthogonalise(C, s, basis, s + j + 1, wj, n, at(G, col * ld), R, p1, p2, pn, chunks, c0, c1,
        team, tid, nthreads, stop, tid == 0 && aborted(team) ? 1 : 0);
      store<f64>(at(G, col * ld + col + 1), hnext);
      for (let i = col + 2; i <= m; i++) store<f64>(at(G, col * ld + i), 0);
      if (hnext > 0) divideRows(wj, my0, my1, hnext);
      // The rotated copy: earlier rotations (rows s+l, s+l+1), then a new one.
      for (let i = 0; i <= m; i++) store<f64>(at(H, col * ld + i), load<f64>(at(G, col * ld + i)));
      const rho = givensColumn(at(H, col * ld), s, j, hnext, cs, sn, g);
      iter++;
      resid = stepEstimate(g, col, iter, history, historyCap, team, tid);
      const outcome = stepOutcome(resid, rho, tol, load<f64>(stop), iter, maxIter, hnext);
      if (outcome == CONVERGED) { claimed = true; j++; break; }
      if (outcome >= 0) { reason = outcome; done = true; j++; break; }
    }
    // y = R⁻¹·g over the mm columns built (at a breakdown, all but the last);
    // x += M⁻¹·[U·D, V]·y (own rows).
    const used = done && reason == BREAKDOWN ? j - 1 : j;
    const mm = s + j, mmUsed = s + used;
    backSubstitute(H, ld, g, y, mmUsed);
    for (let i = my0; i < my1; i++) {
      let acc: f64 = 0;
      for (let a = 0; a < s; a++) acc += load<f64>(at(U, a * n + i)) * (load<f64>(at(D, a)) * load<f64>(at(y, a)));
      for (let l = 0; l < used; l++) acc += load<f64>(at(basis, l * n + i)) * load<f64>(at(y, s + l));
      if (cv != 0) store<f64>(at(t, i), acc);  // M⁻¹ mixes rows: applied below
      else {
        if (dinv != 0) acc *= load<f64>(at(dinv, i));
        store<f64>(at(x, i), load<f64>(at(x, i)) + acc);
      }
    }
    if (cv != 0) {
      twoLevelApply(changetype<CoarseView>(cv), indptr, indices, data, dinv, t, t, my0, my1, team, nthreads);
      for (let i = my0; i < my1; i++) store<f64>(at(x, i), load<f64>(at(x, i)) + load<f64>(at(t, i)));
    }
    if (k > 0 && j > 0 && reason != ABORTED && reason != BREAKDOWN) {
      // [C, V_{0..j}]ᵀ·U partials: W = [C, V]ᵀ·[U·D, V] needs only these.
      if (s > 0) {
        for (let c = c0; c < c1; c++) {
          const i0 = c * CHUNK, i1 = min(n, i0 + CHUNK);
          for (let a = 0; a < s + j + 1; a++) {
            const va = a < s ? at(C, a * n) : at(basis, (a - s) * n);
            for (let bb = 0; bb < s; bb++) store<f64>(at(pEnd, (a * s + bb) * chunks + c), dotContiguous(at(va, i0), at(U, bb * n + i0), i1 - i0));
          }
        }
      }
      barrier(team, nthreads);
      if (tid == 0) {
        store<f64>(at(out, GcrodrF64Out.kept), <f64>renewRecycle(G, ld, mm, s, j, k, D, pEnd, chunks, coefU, coefC, Wt, GP, gpNorm, wr, wi, P, eig));
      }
      barrier(team, nthreads);
      const kept = <i32>load<f64>(at(out, GcrodrF64Out.kept));
      if (kept > 0) {
        // U ← [U, V_{0..j−1}]·coefU, C ← [C, V_{0..j}]·coefC, row by row
        // (two rows at a time in f64x2 lanes, and four such pairs at once for
        // independent add chains: each row's sum in the same order throughout).
        const blockEnd = my0 + ((my1 - my0) & ~7), pairEnd = my0 + ((my1 - my0) & ~1);
        for (let i = my0; i < blockEnd; i += 8) {
          for (let bb = 0; bb < kept; bb++) {
            let u0 = f64x2.splat(0), u1 = f64x2.splat(0), u2 = f64x2.splat(0), u3 = f64x2.splat(0);
            let w0 = f64x2.splat(0), w1 = f64x2.splat(0), w2 = f64x2.splat(0), w3 = f64x2.splat(0);
            for (let a = 0; a < s; a++) {
              const cu = f64x2.splat(load<f64>(at(coefU, bb * ld + a))), cc = f64x2.splat(load<f64>(at(coefC, bb * ld + a)));
              const ua = at(U, a * n + i), ca = at(C, a * n + i);
              u0 = f64x2.add(u0, f64x2.mul(v128.load(ua), cu));
              u1 = f64x2.add(u1, f64x2.mul(v128.load(ua, 16), cu));
              u2 = f64x2.add(u2, f64x2.mul(v128.load(ua, 32), cu));
              u3 = f64x2.add(u3, f64x2.mul(v128.load(ua, 48), cu));
              w0 = f64x2.add(w0, f64x2.mul(v128.load(ca), cc));
              w1 = f64x2.add(w1, f64x2.mul(v128.load(ca, 16), cc));
              w2 = f64x2.add(w2, f64x2.mul(v128.load(ca, 32), cc));
              w3 = f64x2.add(w3, f64x2.mul(v128.load(ca, 48), cc));
            }
            for (let l = 0; l <= j; l++) {
              const vl = at(basis, l * n + i);
              const v0 = v128.load(vl), v1 = v128.load(vl, 16), v2 = v128.load(vl, 32), v3 = v128.load(vl, 48);
              if (l < j) {
                const cu = f64x2.splat(load<f64>(at(coefU, bb * ld + s + l)));
                u0 = f64x2.add(u0, f64x2.mul(v0, cu));
                u1 = f64x2.add(u1, f64x2.mul(v1, cu));
                u2 = f64x2.add(u2, f64x2.mul(v2, cu));
                u3 = f64x2.add(u3, f64x2.mul(v3, cu));
              }
              const cc = f64x2.splat(load<f64>(at(coefC, bb * ld + s + l)));
              w0 = f64x2.add(w0, f64x2.mul(v0, cc));
              w1 = f64x2.add(w1, f64x2.mul(v1, cc));
              w2 = f64x2.add(w2, f64x2.mul(v2, cc));
              w3 = f64x2.add(w3, f64x2.mul(v3, cc));
            }
            const tu = at(rowTmp, 8 * bb), tc = at(rowTmp, 8 * (k + bb));
            v128.store(tu, u0); v128.store(tu, u1, 16); v128.store(tu, u2, 32); v128.store(tu, u3, 48);
            v128.store(tc, w0); v128.store(tc, w1, 16); v128.store(tc, w2, 32); v128.store(tc, w3, 48);
          }
          for (let bb = 0; bb < kept; bb++) {
            memory.copy(at(U, bb * n + i), at(rowTmp, 8 * bb), 64);
            memory.copy(at(C, bb * n + i), at(rowTmp, 8 * (k + bb)), 64);
          }
        }
        for (let i = blockEnd; i < pairEnd; i += 2) {
          for (let bb = 0; bb < kept; bb++) {
            let u = f64x2.splat(0), cc = f64x2.splat(0);
            for (let a = 0; a < s; a++) {
              u = f64x2.add(u, f64x2.mul(v128.load(at(U, a * n + i)), f64x2.splat(load<f64>(at(coefU, bb * ld + a)))));
              cc = f64x2.add(cc, f64x2.mul(v128.load(at(C, a * n + i)), f64x2.splat(load<f64>(at(coefC, bb * ld + a)))));
            }
            for (let l = 0; l <= j; l++) {
              const v = v128.load(at(basis, l * n + i));
              if (l < j) u = f64x2.add(u, f64x2.mul(v, f64x2.splat(load<f64>(at(coefU, bb * ld + s + l)))));
              cc = f64x2.add(cc, f64x2.mul(v, f64x2.splat(load<f64>(at(coefC, bb * ld + s + l)))));
            }
            v128.store(at(rowTmp, 2 * bb), u);
            v128.store(at(rowTmp, 2 * (k + bb)), cc);
          }
          for (let bb = 0; bb < kept; bb++) {
            v128.store(at(U, bb * n + i), v128.load(at(rowTmp, 2 * bb)));
            v128.store(at(C, bb * n + i), v128.load(at(rowTmp, 2 * (k + bb))));
          }
        }
        for (let i = pairEnd; i < my1; i++) {
          for (let bb = 0; bb < kept; bb++) {
            let u: f64 = 0, cc: f64 = 0;
            for (let a = 0; a < s; a++) {
              u += load<f64>(at(U, a * n + i)) * load<f64>(at(coefU, bb * ld + a));
              cc += load<f64>(at(C, a * n + i)) * load<f64>(at(coefC, bb * ld + a));
            }
            for (let l = 0; l <= j; l++) {
              const v = load<f64>(at(basis, l * n + i));
              if (l < j) u += v * load<f64>(at(coefU, bb * ld + s + l));
              cc += v * load<f64>(at(coefC, bb * ld + s + l));
            }
            store<f64>(at(rowTmp, bb), u);
            store<f64>(at(rowTmp, k + bb), cc);
          }
          for (let bb = 0; bb < kept; bb++) {
            store<f64>(at(U, bb * n + i), load<f64>(at(rowTmp, bb)));
            store<f64>(at(C, bb * n + i), load<f64>(at(rowTmp, k + bb)));
          }
        }
        s = kept;
      }
    } else {
      // Every row of x must be in before the next cycle's (or the exit's) SpMV.
      barrier(team, nthreads);
    }
  }

  // pt held the last cycle's projected β: a thread that left the loop at once
  // (breakdown, the iteration limit) must not rewrite it while another still reads it.
  barrier(team, nthreads);
  const trueNorm = trueResidualNorm(indptr, indices, data, n, b, x, pt, chunks, c0, c1, team, nthreads);
  if (tid == 0) {
    store<f64>(at(out, GcrodrF64Out.iterations), <f64>iter);
    store<f64>(at(out, GcrodrF64Out.reason), <f64>reason);
    store<f64>(at(out, GcrodrF64Out.residual), resid);
    store<f64>(at(out, GcrodrF64Out.trueResidual), trueNorm);
    store<f64>(at(out, GcrodrF64Out.size), <f64>s);
    store<f64>(at(out, GcrodrF64Out.coarse), cv != 0 ? 1 : 0);
  }
}

/**
 * Thread 0, after a cycle of mm = s + j columns: the harmonic Ritz problem of
 * the cycle, then coefU (U's new vectors over [U, V_{0..j−1}]) and coefC
 * (over [C, V_{0..j}]), column-major with leading dimension ld. Returns the
 * new space's size, or 0 to keep the old space.
 */
function renewRecycle(
  G: usize, ld: i32, mm: i32, s: i32, j: i32, k: i32, D: usize, pEnd: usize, chunks: i32,
  coefU: usize, coefC: usize, W: usize, GP: usize, gpNorm: usize, wr: usize, wi: usize, P: usize, eig: usize,
): i32 {
  // W = [C, V]ᵀ·[U·D, V]: [CᵀU·D, 0; VᵀU·D, I].
  for (let col = 0; col < mm; col++) for (let row = 0; row <= mm; row++) {
    let v: f64 = 0;
    if (col < s) v = sumPartials(at(pEnd, (row * s + col) * chunks), chunks) * load<f64>(at(D, col));
    else v = row == col ? 1.0 : 0.0;
    store<f64>(at(W, col * ld + row), v);
  }
  const kk = harmonicRitz(G, W, ld, mm, k, P, wr, wi, eig);
  if (kk <= 0) return 0;
  // Ḡ·P, and P alongside, orthonormalised together (modified Gram–Schmidt,
  // twice): afterwards Ḡ·P = Q with Q orthonormal, so C = [C, V]·Q and
  // U = [U·D, V]·P keep A·M⁻¹·U = C. Dependent columns are dropped.
  let kept = 0;
  for (let c = 0; c < kk; c++) {
    const pc = at(coefU, kept * ld), gc = at(coefC, kept * ld);
    for (let i = 0; i < mm; i++) store<f64>(at(pc, i), load<f64>(at(P, c * mm + i)));
    for (let i = 0; i <= mm; i++) {
      let acc: f64 = 0;
      for (let l = max(0, i - 1); l < mm; l++) acc += load<f64>(at(G, l * ld + i)) * load<f64>(at(pc, l));
      store<f64>(at(gc, i), acc);
    }
    let before: f64 = 0;
    for (let i = 0; i <= mm; i++) before += load<f64>(at(gc, i)) * load<f64>(at(gc, i));
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < kept; q++) {
        const gq = at(coefC, q * ld), pq = at(coefU, q * ld);
        let h: f64 = 0;
        for (let i = 0; i <= mm; i++) h += load<f64>(at(gq, i)) * load<f64>(at(gc, i));
        for (let i = 0; i <= mm; i++) store<f64>(at(gc, i), load<f64>(at(gc, i)) - h * load<f64>(at(gq, i)));
        for (let i = 0; i < mm; i++) store<f64>(at(pc, i), load<f64>(at(pc, i)) - h * load<f64>(at(pq, i)));
      }
    }
    let after: f64 = 0;
    for (let i = 0; i <= mm; i++) after += load<f64>(at(gc, i)) * load<f64>(at(gc, i));
    if (!(after > 1e-20 * before) || !isFinite(after)) continue;
    const inv = 1.0 / Math.sqrt(after);
    for (let i = 0; i <= mm; i++) store<f64>(at(gc, i), load<f64>(at(gc, i)) * inv);
    for (let i = 0; i < mm; i++) store<f64>(at(pc, i), load<f64>(at(pc, i)) * inv);
    kept++;
  }
  // coefU acts on U·D: fold D into the rows of U's part.
  for (let c = 0; c < kept; c++) for (let a = 0; a < s; a++) {
    store<f64>(at(coefU, c * ld + a), load<f64>(at(coefU, c * ld + a)) * load<f64>(at(D, a)));
  }
  return kept;
}

/**
 * T (s×s', column-major) with C·T orthonormal, from the Gram matrix CᵀC:
 * Gram–Schmidt in the Gram inner product; columns whose remaining norm is
 * below 1e-10 of their own are dropped. Returns s'. `gt` s f64 scratch.
 */
function gramOrthonormalize(gram: usize, s: i32, T: usize, gt: usize): i32 {
  let kept = 0;
  for (let a = 0; a < s; a++) {
    const ta = at(T, kept * s);
    for (let i = 0; i < s; i++) store<f64>(at(ta, i), i == a ? 1.0 : 0.0);
    for (let pass = 0; pass < 2; pass++) {
      // gt = Gram·ta; ta −= Σ_q (t_qᵀ·gt)·t_q
      for (let i = 0; i < s; i++) {
        let acc: f64 = 0;
        for (let l = 0; l < s; l++) acc += load<f64>(at(gram, i * s + l)) * load<f64>(at(ta, l));
        store<f64>(at(gt, i), acc);
      }
      for (let q = 0; q < kept; q++) {
        const tq = at(T, q * s);
        let h: f64 = 0;
        for (let i = 0; i < s; i++) h += load<f64>(at(tq, i)) * load<f64>(at(gt, i));
        for (let i = 0; i < s; i++) store<f64>(at(ta, i), load<f64>(at(ta, i)) - h * load<f64>(at(tq, i)));
      }
    }
    let nn: f64 = 0;
    for (let i = 0; i < s; i++) {
      let acc: f64 = 0;
      for (let l = 0; l < s; l++) acc += load<f64>(at(gram, i * s + l)) * load<f64>(at(ta, l));
      nn += load<f64>(at(ta, i)) * acc;
    }
    const own = load<f64>(at(gram, a * s + a));
    if (!(nn > 1e-20 * own) || !isFinite(nn)) continue;
    const inv = 1.0 / Math.sqrt(nn);
    for (let i = 0; i < s; i++) store<f64>(at(ta, i), load<f64>(at(ta, i)) * inv);
    kept++;
  }
  return kept;
}

/** U ← U·T and C ← C·T on rows my0..my1 (T s×kept, column-major). */
function applyRowwise(U: usize, C: usize, n: i32, s: i32, T: usize, kept: i32, my0: i32, my1: i32, tmp: usize): void {
  for (let i = my0; i < my1; i++) {
    for (let bb = 0; bb < kept; bb++) {
      let u: f64 = 0, c: f64 = 0;
      for (let a = 0; a < s; a++) {
        const tv = load<f64>(at(T, bb * s + a));
        u += load<f64>(at(U, a * n + i)) * tv;
        c += load<f64>(at(C, a * n + i)) * tv;
      }
      store<f64>(at(tmp, bb), u);
      store<f64>(at(tmp, s + bb), c);
    }
    for (let bb = 0; bb < kept; bb++) {
      store<f64>(at(U, bb * n + i), load<f64>(at(tmp, bb)));
      store<f64>(at(C, bb * n + i), load<f64>(at(tmp, s + bb)));
    }
  }
}

/** Bytes of harmonic_ritz_f64's workspace. */
export function harmonicRitzWorkspace(mm: i32): f64 {
  return <f64>(<usize>harmonicScratch(mm) << 3);
}

/**
 * harmonicRitz alone (thread 0), for its test: Ḡ and W ((mm+1)×mm,
 * column-major, leading dimension mm+1); μ = 1/θ into wr, wi (mm each), the
 * vectors into P (mm×k); out.kept their count.
 */
export function harmonicRitzAlone(
  G: usize, W: usize, mm: i32, k: i32, wr: usize, wi: usize, P: usize, out: usize, work: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  if (tid == 0) store<f64>(at(out, HarmonicRitzF64Out.kept), <f64>harmonicRitz(G, W, mm + 1, mm, k, P, wr, wi, work));
}
