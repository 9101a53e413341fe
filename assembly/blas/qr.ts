// Householder QR of a column-major rows×cols matrix, in place: the first
// `reflect` columns are reduced (their reflectors overwrite them below the
// diagonal, R's strict upper triangle stays above it, R's diagonal goes to
// `diag`), and every later column (e.g. a right-hand side) is transformed by
// the same reflectors, giving Qᵀ·b. Threads share the trailing columns
// (cyclically); each column's update is one thread's, so results do not depend
// on the thread count.
import { barrier } from "../core/team";
import { dotContiguous } from "./level1";

export function qr_householder_f64(
  a: usize, rows: i32, cols: i32, reflect: i32, diag: usize, vnorm: usize,
  team: usize, tid: i32, nthreads: i32,
): void {
  const ld = <usize>rows << 3;
  for (let k = 0; k < reflect; k++) {
    const col = a + <usize>k * ld + (<usize>k << 3);
    const len = rows - k;
    if (tid == 0) {
      // v = x − α·e₁ with α = −sign(x₀)·‖x‖ (no cancellation in v₀).
      const xx = dotContiguous(col, col, len);
      const x0 = load<f64>(col);
      const alpha = xx == 0 ? 0.0 : (x0 >= 0 ? -Math.sqrt(xx) : Math.sqrt(xx));
      store<f64>(col, x0 - alpha);
      store<f64>(diag + (<usize>k << 3), alpha);
      // ‖v‖² = ‖x‖² − 2α·x₀ + α²
      store<f64>(vnorm + (<usize>k << 3), xx - 2 * alpha * x0 + alpha * alpha);
    }
    barrier(team, nthreads);
    const vv = load<f64>(vnorm + (<usize>k << 3));
    if (vv != 0) {
      for (let j = k + 1 + tid; j < cols; j += nthreads) {
        const cj = a + <usize>j * ld + (<usize>k << 3);
        const f = (2 * dotContiguous(col, cj, len)) / vv;
        const fv = f64x2.splat(f);
        let i = 0;
        for (; i + 2 <= len; i += 2) {
          const o = <usize>i << 3;
          v128.store(cj + o, f64x2.sub(v128.load(cj + o), f64x2.mul(fv, v128.load(col + o))));
        }
        if (i < len) store<f64>(cj + (<usize>i << 3), load<f64>(cj + (<usize>i << 3)) - f * load<f64>(col + (<usize>i << 3)));
      }
    }
    barrier(team, nthreads);
  }
}
