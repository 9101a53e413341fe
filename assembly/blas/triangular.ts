// Triangular solves with a small dense upper-triangular R (row-major n×n),
// one thread's work: the O(n²) steps of the sketched least-squares solvers.

/** z = R⁻¹·v. */
export function backSolve(rm: usize, n: i32, v: usize, z: usize): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = load<f64>(v + (<usize>i << 3));
    const row = rm + ((<usize>i * n) << 3);
    for (let j = i + 1; j < n; j++) s -= load<f64>(row + (<usize>j << 3)) * load<f64>(z + (<usize>j << 3));
    store<f64>(z + (<usize>i << 3), s / load<f64>(row + (<usize>i << 3)));
  }
}

/** z = R⁻ᵀ·s. */
export function forwardSolveT(rm: usize, n: i32, s: usize, z: usize): void {
  for (let j = 0; j < n; j++) {
    let acc = load<f64>(s + (<usize>j << 3));
    for (let i = 0; i < j; i++) acc -= load<f64>(rm + ((<usize>i * n + j) << 3)) * load<f64>(z + (<usize>i << 3));
    store<f64>(z + (<usize>j << 3), acc / load<f64>(rm + ((<usize>j * n + j) << 3)));
  }
}
