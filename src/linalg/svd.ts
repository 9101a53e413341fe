// Minimum-norm solutions of small square systems R·x = c (R n×n, row-major)
// through the SVD of R by one-sided Jacobi (Hestenes): accurate to the
// singular values' own precision, as LAPACK's gelsd is; O(n³) per sweep, so
// meant for the n×n triangle of a QR, not for A itself.

export interface MinimumNormSolution {
  /** x = R⁺·c with singular values at or below the cut-off taken as zero. */
  x: Float64Array;
  /** Singular values above rcond·σ_max. */
  rank: number;
  /** R's singular values, largest first. */
  singularValues: Float64Array;
}

const MAX_SWEEPS = 60;

/**
 * x = R⁺·c, R⁺ the pseudo-inverse with singular values ≤ rcond·σ_max dropped
 * (numpy.linalg.lstsq's rule). For R from A = Q·R (Q orthonormal columns),
 * this is A's minimum-norm least-squares solution for Qᵀ·b = c.
 */
export function minimumNormSolve(R: Float64Array, n: number, c: ArrayLike<number>, rcond: number): MinimumNormSolution {
  // Columns of G = R·V are orthogonalised by plane rotations; then G = U·Σ.
  const G = new Float64Array(n * n), V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G[j * n + i] = R[i * n + j]; // column-major copy
  for (let j = 0; j < n; j++) V[j * n + j] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) {
      let a = 0, b = 0, g = 0;
      const cp = p * n, cq = q * n;
      for (let i = 0; i < n; i++) { const u = G[cp + i], v = G[cq + i]; a += u * u; b += v * v; g += u * v; }
      if (g === 0 || Math.abs(g) <= Number.EPSILON * Math.sqrt(a * b)) continue;
      rotated = true;
      const zeta = (b - a) / (2 * g);
      const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
      const cs = 1 / Math.sqrt(1 + t * t), sn = cs * t;
      for (let i = 0; i < n; i++) {
        const u = G[cp + i], v = G[cq + i];
        G[cp + i] = cs * u - sn * v; G[cq + i] = sn * u + cs * v;
        const x = V[cp + i], y = V[cq + i];
        V[cp + i] = cs * x - sn * y; V[cq + i] = sn * x + cs * y;
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += G[j * n + i] * G[j * n + i];
    sigma[j] = Math.sqrt(s);
  }
  const top = sigma.reduce((m, s) => Math.max(m, s), 0);
  const cut = rcond * top;
  // x = Σ_j v_j·(u_jᵀ·c)/σ_j over the kept σ_j, with u_j = g_j/σ_j.
  const x = new Float64Array(n);
  let rank = 0;
  for (let j = 0; j < n; j++) {
    if (!(sigma[j] > cut) || sigma[j] === 0) continue;
    rank++;
    let uc = 0;
    for (let i = 0; i < n; i++) uc += G[j * n + i] * c[i];
    const f = uc / (sigma[j] * sigma[j]);
    for (let i = 0; i < n; i++) x[i] += V[j * n + i] * f;
  }
  return { x, rank, singularValues: Float64Array.from(sigma).sort().reverse() };
}
