// LSQR (Paige & Saunders 1982) and LSMR (Fong & Saunders 2011) on the host,
// with SciPy's stopping rules (atol, btol, conlim, damp), optionally
// right-preconditioned by an upper-triangular R (LSQR on A·R⁻¹, x = R⁻¹·y:
// sketch-and-precondition). A stays in wasm memory: each iteration is one
// launch of a Golub–Kahan step (gk_step_*: ũ ← A·t − ρ·ũ and Aᵀũ in one pass
// over A); the O(n) recurrences (and the O(n²) triangular solves) run here.

/** A in wasm memory and its one product, ũ ← α·A·t − ρ·ũ with s ← Aᵀũ. */
export interface StepOperator {
  readonly rows: number;
  readonly cols: number;
  /** Sets t (n entries), runs the step, returns ‖ũ‖² and s = Aᵀũ (a copy). */
  step(t: Float64Array | undefined, alpha: number, ratio: number): Promise<{ normsq: number; s: Float64Array }>;
}

export interface BidiagOptions {
  damp: number;
  atol: number;
  btol: number;
  /** Stop when the estimate of cond(A) passes this (0: never). */
  conlim: number;
  maxIter: number;
  /** n×n upper triangular, row-major: solve with A·R⁻¹ instead of A. */
  R?: Float64Array;
  /** ‖b‖ for the tests (default: ‖ũ‖ at the start; differs when the start is x0 ≠ 0). */
  bnorm?: number;
  /** Start at x0: ũ must hold b; the first step forms b − A·x0. */
  x0?: Float64Array;
  signal?: AbortSignal;
  /** Called after each iteration with the recurrences' ‖r‖. */
  onProgress?: (p: { iteration: number; value: number }) => void;
}

/** SciPy's istop: 0 x = 0 solves it, 1 ‖r‖ small, 2 ‖Aᵀr‖ small, 3 cond > conlim, 4–6 the same at ε, 7 iteration limit. */
export type BidiagStop = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface BidiagResult {
  x: Float64Array;
  iterations: number;
  stop: BidiagStop;
  /** The recurrences' estimates: ‖r‖ (with damp: of the damped system), ‖Aᵀr‖, ‖A‖_F, cond(A), ‖x‖ (all of A·R⁻¹ and y with R). */
  normr: number;
  normar: number;
  normA: number;
  condA: number;
}

/** The Givens rotation [c s; −s c] taking (a, b) to (r, 0), stably (SciPy's _sym_ortho). */
function symOrtho(a: number, b: number): [number, number, number] {
  if (b === 0) return [Math.sign(a), 0, Math.abs(a)];
  if (a === 0) return [0, Math.sign(b), Math.abs(b)];
  if (Math.abs(b) > Math.abs(a)) {
    const tau = a / b, s = Math.sign(b) / Math.sqrt(1 + tau * tau);
    return [s * tau, s, b / s];
  }
  const tau = b / a, c = Math.sign(a) / Math.sqrt(1 + tau * tau);
  return [c, c * tau, a / c];
}

const norm = (v: Float64Array) => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i] * v[i]; return Math.sqrt(s); };

/** z = R⁻ᵀ·g (forward substitution on Rᵀ) in place. */
export function solveRT(R: Float64Array, n: number, z: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) { const zi = (z[i] /= R[i * n + i]); for (let j = i + 1; j < n; j++) z[j] -= R[i * n + j] * zi; }
  return z;
}
/** R⁻¹·v (back substitution), a new array. */
export function solveR(R: Float64Array, n: number, v: Float64Array): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = v[i];
    for (let j = i + 1; j < n; j++) s -= R[i * n + j] * x[j];
    x[i] = s / R[i * n + i];
  }
  return x;
}

/**
 * The Golub–Kahan bidiagonalization both methods run on M = A·R⁻¹ (M = A
 * without R): u and v of unit norm, u_{k+1}·β = M·v_k − α·u_k and
 * v_{k+1}·α = Mᵀu_{k+1} − β·v_k. ũ (= β·u) stays in wasm memory.
 */
class Bidiagonalization {
  alpha = 0;
  beta = 0;
  v: Float64Array;
  constructor(private readonly op: StepOperator, private readonly R: Float64Array | undefined) {
    this.v = new Float64Array(op.cols);
  }
  /** β₁u₁ = b − A·x0, α₁v₁ = Mᵀu₁. */
  async start(x0: Float64Array | undefined): Promise<void> {
    const { normsq, s } = await this.op.step(x0, x0 ? -1 : 0, -1);
    this.beta = Math.sqrt(normsq);
    this.setV(s, false);
  }
  /** One step: β, u and then α, v advance (v kept when β = 0, as SciPy does). */
  async next(): Promise<void> {
    const t = this.R ? solveR(this.R, this.v.length, this.v) : this.v;
    const { normsq, s } = await this.op.step(t, 1, this.beta > 0 ? this.alpha / this.beta : 0);
    this.beta = Math.sqrt(normsq);
    if (this.beta > 0) this.setV(s, true);
  }
  private setV(s: Float64Array, subtract: boolean): void {
    const n = this.v.length, beta = this.beta;
    if (beta === 0) { this.alpha = 0; this.v.fill(0); return; }
    for (let j = 0; j < n; j++) s[j] /= beta;
    if (this.R) solveRT(this.R, n, s);
    if (subtract) for (let j = 0; j < n; j++) s[j] -= beta * this.v[j];
    this.alpha = norm(s);
    for (let j = 0; j < n; j++) this.v[j] = this.alpha > 0 ? s[j] / this.alpha : s[j];
  }
}

/** SciPy's tests, in its order (the last that holds wins); LSQR adds `eps` to test2's and test3's denominators. */
function stopTest(itn: number, o: BidiagOptions, normr: number, normar: number, normA: number, condA: number, normx: number, bnorm: number, eps: number): BidiagStop {
  const test1 = normr / bnorm;
  const test2 = normA * normr + eps !== 0 ? normar / (normA * normr + eps) : Infinity;
  const test3 = 1 / (condA + eps);
  const t1 = test1 / (1 + (normA * normx) / bnorm);
  const rtol = o.btol + (o.atol * normA * normx) / bnorm;
  const ctol = o.conlim > 0 ? 1 / o.conlim : 0;
  let stop: BidiagStop = 0;
  if (itn >= o.maxIter) stop = 7;
  if (1 + test3 <= 1) stop = 6;
  if (1 + test2 <= 1) stop = 5;
  if (1 + t1 <= 1) stop = 4;
  if (test3 <= ctol) stop = 3;
  if (test2 <= o.atol) stop = 2;
  if (test1 <= rtol) stop = 1;
  return stop;
}

/** The answer x = x0 + R⁻¹·y. */
function finish(y: Float64Array, o: BidiagOptions): Float64Array {
  const x = o.R ? solveR(o.R, y.length, y) : y;
  if (o.x0) for (let j = 0; j < x.length; j++) x[j] += o.x0[j];
  return x;
}

const aborted = (o: BidiagOptions) => o.signal?.aborted === true;

/** LSQR: min ‖A·x − b‖² + damp²‖x‖², SciPy's scipy.sparse.linalg.lsqr step for step. */
export async function lsqr(op: StepOperator, o: BidiagOptions): Promise<BidiagResult> {
  const n = op.cols;
  const gk = new Bidiagonalization(op, o.R);
  await gk.start(o.x0);
  const bnorm = o.bnorm ?? gk.beta;
  const y = new Float64Array(n), w = Float64Array.from(gk.v);
  const dampsq = o.damp * o.damp;
  let rhobar = gk.alpha, phibar = gk.beta, anorm = 0, acond = 0, ddnorm = 0, res2 = 0, xnorm = 0, xxnorm = 0, z = 0, cs2 = -1, sn2 = 0;
  let rnorm = gk.beta, arnorm = gk.alpha * gk.beta, itn = 0;
  let stop: BidiagStop = 0;
  if (arnorm === 0) return { x: finish(y, o), iterations: 0, stop, normr: rnorm, normar: arnorm, normA: anorm, condA: acond };
  while (itn < o.maxIter && !aborted(o)) {
    itn++;
    const alphaPrev = gk.alpha;
    await gk.next();
    const { alpha, beta } = gk;
    if (beta > 0) anorm = Math.sqrt(anorm * anorm + alphaPrev * alphaPrev + beta * beta + dampsq);
    // Eliminate damp from the lower bidiagonal.
    let rhobar1 = rhobar, psi = 0;
    if (o.damp > 0) {
      rhobar1 = Math.sqrt(rhobar * rhobar + dampsq);
      psi = (o.damp / rhobar1) * phibar;
      phibar *= rhobar / rhobar1;
    }
    const [cs, sn, rho] = symOrtho(rhobar1, beta);
    const theta = sn * alpha;
    rhobar = -cs * alpha;
    const phi = cs * phibar;
    phibar = sn * phibar;
    const tau = sn * phi;
    const t1 = phi / rho, t2 = -theta / rho;
    let dk = 0;
    for (let j = 0; j < n; j++) {
      const wj = w[j];
      dk += (wj / rho) ** 2;
      y[j] += t1 * wj;
      w[j] = gk.v[j] + t2 * wj;
    }
    ddnorm += dk;
    // ‖x‖ from the rotated lower-triangular system (Paige & Saunders §5).
    const delta = sn2 * rho, gambar = -cs2 * rho, rhs = phi - delta * z;
    xnorm = Math.sqrt(xxnorm + (rhs / gambar) ** 2);
    const gamma = Math.sqrt(gambar * gambar + theta * theta);
    cs2 = gambar / gamma;
    sn2 = theta / gamma;
    z = rhs / gamma;
    xxnorm += z * z;
    acond = anorm * Math.sqrt(ddnorm);
    res2 += psi * psi;
    rnorm = Math.sqrt(phibar * phibar + res2);
    arnorm = alpha * Math.abs(tau);
    o.onProgress?.({ iteration: itn, value: rnorm });
    stop = stopTest(itn, o, rnorm, arnorm, anorm, acond, xnorm, bnorm, Number.EPSILON);
    if (stop !== 0) break;
  }
  return { x: finish(y, o), iterations: itn, stop, normr: rnorm, normar: arnorm, normA: anorm, condA: acond };
}

/** LSMR: min ‖A·x − b‖² + damp²‖x‖², SciPy's scipy.sparse.linalg.lsmr step for step (‖Aᵀr‖ falls monotonically). */
export async function lsmr(op: StepOperator, o: BidiagOptions): Promise<BidiagResult> {
  const n = op.cols;
  const gk = new Bidiagonalization(op, o.R);
  await gk.start(o.x0);
  const bnorm = o.bnorm ?? gk.beta;
  const y = new Float64Array(n), h = Float64Array.from(gk.v), hbar = new Float64Array(n);
  let zetabar = gk.alpha * gk.beta, alphabar = gk.alpha, rho = 1, rhobar = 1, cbar = 1, sbar = 0;
  // For the estimate of ‖r‖.
  let betadd = gk.beta, betad = 0, rhodold = 1, tautildeold = 0, thetatilde = 0, zeta = 0, d = 0;
  // For the estimates of ‖A‖ and cond(A).
  let normA2 = gk.alpha * gk.alpha, maxrbar = 0, minrbar = 1e100, normA = Math.sqrt(normA2), condA = 1;
  let normr = gk.beta, normar = gk.alpha * gk.beta, itn = 0;
  let stop: BidiagStop = 0;
  if (normar === 0 || bnorm === 0) return { x: finish(y, o), iterations: 0, stop, normr, normar, normA, condA };
  while (itn < o.maxIter && !aborted(o)) {
    itn++;
    await gk.next();
    const { alpha, beta } = gk;
    // Rotations: Q̂ (damp), Q (β), Q̄ (the second bidiagonal).
    const [chat, shat, alphahat] = symOrtho(alphabar, o.damp);
    const rhoold = rho;
    const [c, s, rhoNew] = symOrtho(alphahat, beta);
    rho = rhoNew;
    const thetanew = s * alpha;
    alphabar = c * alpha;
    const rhobarold = rhobar, zetaold = zeta;
    const thetabar = sbar * rho, rhotemp = cbar * rho;
    [cbar, sbar, rhobar] = symOrtho(cbar * rho, thetanew);
    zeta = cbar * zetabar;
    zetabar = -sbar * zetabar;
    const fh = -(thetabar * rho) / (rhoold * rhobarold), fx = zeta / (rho * rhobar), fv = -thetanew / rho;
    let nx = 0;
    for (let j = 0; j < n; j++) {
      hbar[j] = h[j] + fh * hbar[j];
      y[j] += fx * hbar[j];
      nx += y[j] * y[j];
      h[j] = gk.v[j] + fv * h[j];
    }
    // ‖r‖ by the rotated recurrences (Fong & Saunders §3.3).
    const betaacute = chat * betadd, betacheck = -shat * betadd, betahat = c * betaacute;
    betadd = -s * betaacute;
    const thetatildeold = thetatilde;
    const [ctildeold, stildeold, rhotildeold] = symOrtho(rhodold, thetabar);
    thetatilde = stildeold * rhobar;
    rhodold = ctildeold * rhobar;
    betad = -stildeold * betad + ctildeold * betahat;
    tautildeold = (zetaold - thetatildeold * tautildeold) / rhotildeold;
    const taud = (zeta - thetatilde * tautildeold) / rhodold;
    d += betacheck * betacheck;
    normr = Math.sqrt(d + (betad - taud) ** 2 + betadd * betadd);
    normA2 += beta * beta;
    normA = Math.sqrt(normA2);
    normA2 += alpha * alpha;
    maxrbar = Math.max(maxrbar, rhobarold);
    if (itn > 1) minrbar = Math.min(minrbar, rhobarold);
    condA = Math.max(maxrbar, rhotemp) / Math.min(minrbar, rhotemp);
    normar = Math.abs(zetabar);
    o.onProgress?.({ iteration: itn, value: normr });
    stop = stopTest(itn, o, normr, normar, normA, condA, Math.sqrt(nx), bnorm, 0);
    if (stop !== 0) break;
  }
  return { x: finish(y, o), iterations: itn, stop, normr, normar, normA, condA };
}

const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

/** The unit vector of largest (which = 1) or smallest (−1) singular value of upper-triangular R, by power iteration on RᵀR or its inverse. */
function singularVectorOfR(R: Float64Array, n: number, which: 1 | -1): Float64Array {
  let v: Float64Array = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  for (let k = 0; k < 12; k++) {
    const nv = norm(v);
    for (let i = 0; i < n; i++) v[i] /= nv;
    if (which > 0) {
      const u = new Float64Array(n); // u = R·v, then v = Rᵀ·u
      for (let i = 0; i < n; i++) { let s = 0; for (let j = i; j < n; j++) s += R[i * n + j] * v[j]; u[i] = s; }
      v = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) v[j] += R[i * n + j] * u[i];
    } else {
      v = solveR(R, n, solveRT(R, n, v));
    }
  }
  const nv = norm(v);
  return v.map((e) => e / nv);
}

/** Eigenvalues (diagonal of a) and eigenvectors (columns of v) of a small symmetric k×k a (row-major), by cyclic Jacobi rotations. */
function symmetricEigen(a: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 30; sweep++) {
    let off = 0, all = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) { all += a[i * k + j] ** 2; if (i !== j) off += a[i * k + j] ** 2; }
    if (off <= 1e-32 * all) break;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) {
      const apq = a[p * k + q];
      if (apq === 0) continue;
      const theta = (a[q * k + q] - a[p * k + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let r = 0; r < k; r++) { // columns p, q of a, then rows p, q
        const arp = a[r * k + p], arq = a[r * k + q];
        a[r * k + p] = c * arp - s * arq; a[r * k + q] = s * arp + c * arq;
      }
      for (let r = 0; r < k; r++) {
        const apr = a[p * k + r], aqr = a[q * k + r];
        a[p * k + r] = c * apr - s * aqr; a[q * k + r] = s * apr + c * aqr;
        const vrp = v[r * k + p], vrq = v[r * k + q];
        v[r * k + p] = c * vrp - s * vrq; v[r * k + q] = s * vrp + c * vrq;
      }
    }
  }
  return { values: Float64Array.from({ length: k }, (_, i) => a[i * k + i]), vectors: v };
}

/**
 * λ = largest (which = 1) or smallest (−1) eigenvalue of AᵀA, from below or
 * above: LOBPCG (Knyazev 2001) with one vector, preconditioner (RᵀR)⁻¹,
 * Rayleigh–Ritz on span{x, p, w} (p the last step's direction, w the
 * preconditioned residual), started at R's singular vector. Each step is one
 * pass over A (op.step with ρ = 0 gives AᵀA·t); G-images of x and p are
 * carried along as combinations.
 */
async function extremeEigenvalue(op: StepOperator, R: Float64Array, n: number, which: 1 | -1, steps: number): Promise<number> {
  let x: Float64Array = singularVectorOfR(R, n, which);
  let gx: Float64Array = (await op.step(x, 1, 0)).s;
  let lam = dot(x, gx);
  let p: Float64Array | undefined, gp: Float64Array | undefined;
  /** v ← (v − Σ (b·v)·b)/‖·‖ over the basis, gv alike; false when v is (numerically) in its span. */
  const orthonormalize = (v: Float64Array, gv: Float64Array | undefined, basis: [Float64Array, Float64Array | undefined][]) => {
    const before = norm(v);
    for (const [b, gb] of basis) {
      const c = dot(b, v);
      for (let i = 0; i < n; i++) { v[i] -= c * b[i]; if (gv && gb) gv[i] -= c * gb[i]; }
    }
    const after = norm(v);
    if (!(after > 1e-10 * before)) return false;
    for (let i = 0; i < n; i++) { v[i] /= after; if (gv) gv[i] /= after; }
    return true;
  };
  for (let k = 0; k < steps; k++) {
    const w = solveR(R, n, solveRT(R, n, gx.map((g, i) => g - lam * x[i])));
    const basis: [Float64Array, Float64Array | undefined][] = [[x, gx]];
    if (p && gp && orthonormalize(p, gp, basis)) basis.push([p, gp]);
    else p = gp = undefined;
    if (!orthonormalize(w, undefined, basis)) break;
    const gw = (await op.step(w, 1, 0)).s;
    basis.push([w, gw]);
    const size = basis.length, h = new Float64Array(size * size);
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) h[i * size + j] = (dot(basis[i][0], basis[j][1]!) + dot(basis[j][0], basis[i][1]!)) / 2;
    const { values, vectors } = symmetricEigen(h, size);
    let best = 0;
    for (let i = 1; i < size; i++) if (which * (values[i] - values[best]) > 0) best = i;
    const next = values[best];
    if (!(next > 0)) break;
    // x ← V·c; the direction p ← the part of V·c beyond x.
    const c = Array.from({ length: size }, (_, i) => vectors[i * size + best]);
    const np = new Float64Array(n), ngp = new Float64Array(n);
    for (let i = 1; i < size; i++) for (let j = 0; j < n; j++) { np[j] += c[i] * basis[i][0][j]; ngp[j] += c[i] * basis[i][1]![j]; }
    x = x.map((xi, j) => c[0] * xi + np[j]);
    gx = gx.map((gi, j) => c[0] * gi + ngp[j]);
    p = np; gp = ngp;
    const done = Math.abs(next - lam) <= 1e-4 * next;
    lam = next;
    if (done) break;
  }
  return lam;
}

/**
 * cond₂(A) from the QR of a sketch of A, from below: R's singular vectors
 * refined on A itself (extremeEigenvalue; 1 + `steps` passes over A each).
 * The sketch's R alone is off by its distortion, (1 ± √(n/d))², both ways
 * (2.78 for a true 1.03 at d = 4n); the Rayleigh quotients are not above the
 * truth and rise with each step (0.7–0.9 of it at 0–2 steps on random sparse
 * A, whose clustered extreme singular values are the slow case;
 * bench/results/sketch-notes.md), and σ_min(A) (from above); `fallback`
 * (and no σ_min) when the refinement fails.
 */
export async function refinedCondition(op: StepOperator, R: Float64Array, n: number, fallback: number, steps: number): Promise<{ cond: number; sigmaMin?: number }> {
  const hi = await extremeEigenvalue(op, R, n, 1, steps), lo = await extremeEigenvalue(op, R, n, -1, steps);
  const cond = Math.sqrt(hi / lo);
  return Number.isFinite(cond) && cond >= 1 ? { cond, sigmaMin: Math.sqrt(lo) } : { cond: fallback };
}
