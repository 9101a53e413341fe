// Eigen-decomposition of small symmetric matrices on the host (cyclic Jacobi
// rotations): for the projected problems of subspace methods, m ≤ ~100, where
// accuracy matters more than speed. Jacobi is accurate to working precision
// in every eigenvalue, including the small ones deflation cares about.

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric m×m
 * matrix `a` (row-major; only its upper triangle is read). `vectors[i*m + j]`
 * is component i of eigenvector j.
 */
export function symmetricEigen(a: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const s = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) s[i * m + j] = s[j * m + i] = a[i * m + j];
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotations = 0;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = s[p * m + q];
        // Negligible next to its diagonal (the classic test): zero it, no rotation.
        if (Math.abs(apq) <= 1e-18 * Math.sqrt(Math.abs(s[p * m + p] * s[q * m + q])) || apq === 0) {
          s[p * m + q] = s[q * m + p] = 0;
          continue;
        }
        rotations++;
        // The rotation that zeroes s[p][q] (Rutishauser's stable form).
        const theta = (s[q * m + q] - s[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < m; k++) {
          const skp = s[k * m + p], skq = s[k * m + q];
          s[k * m + p] = c * skp - sn * skq;
          s[k * m + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < m; k++) {
          const spk = s[p * m + k], sqk = s[q * m + k];
          s[p * m + k] = c * spk - sn * sqk;
          s[q * m + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - sn * vkq;
          v[k * m + q] = sn * vkp + c * vkq;
        }
      }
    }
    if (rotations === 0) break;
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => s[x * m + x] - s[y * m + y]);
  const values = Float64Array.from(order, (i) => s[i * m + i]);
  const vectors = new Float64Array(m * m);
  order.forEach((src, dst) => { for (let k = 0; k < m; k++) vectors[k * m + dst] = v[k * m + src]; });
  return { values, vectors };
}
