// lstsq on rank-deficient A: the minimum-norm solution (R⁺·Qᵀb through the SVD
// of R, src/linalg/svd.ts), the numerical rank and rcond, against
// numpy.linalg.lstsq (LAPACK gelsd).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init, DenseMatrix, NumlaneError, type Numlane } from "../dist/index.js";
import { python } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

// Each case: A = U·diag(σ)·Vᵀ (σ given, zeros make it rank-deficient), b random; NumPy's x, rank and residual.
const PY = `
import json, sys, numpy as np
out = []
for c in json.load(sys.stdin):
    rng = np.random.default_rng(c["seed"]); m, n = c["m"], c["n"]
    U, _ = np.linalg.qr(rng.standard_normal((m, n))); V, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = U @ np.diag(c["sigma"]) @ V.T
    if c.get("repeat"): A[:, 1] = A[:, 0]
    b = rng.standard_normal(m)
    x, res, rank, sv = np.linalg.lstsq(A, b, rcond=c.get("rcond"))
    out.append({"A": A.ravel().tolist(), "b": b.tolist(), "x": x.tolist(), "rank": int(rank), "r": float(np.linalg.norm(b - A @ x))})
print(json.dumps(out))
`;

describe("lstsq: rank-deficient A", () => {
  it("gives numpy.linalg.lstsq's minimum-norm x, its rank and residual", async () => {
    const cases = [
      { seed: 1, m: 120, n: 30, sigma: Array.from({ length: 30 }, (_, i) => (i < 20 ? 1 + i : 0)) },
      { seed: 2, m: 300, n: 80, sigma: Array.from({ length: 80 }, (_, i) => (i % 4 === 3 ? 0 : 10 ** (-i / 20))) },
      { seed: 3, m: 50, n: 12, sigma: Array.from({ length: 12 }, (_, i) => 1 + i), repeat: true },
      // rcond given: σ = 1e-4 is dropped at rcond 1e-3 (not at the default).
      { seed: 4, m: 90, n: 10, sigma: [1, 0.5, 0.3, 1e-4, 0.2, 0.1, 1e-5, 0.7, 0.9, 0.05], rcond: 1e-3 },
    ];
    const ref = python(PY, cases);
    if (!ref) return;
    for (const [k, c] of cases.entries()) {
      const A = new DenseMatrix(c.m, c.n, Float64Array.from(ref[k].A));
      const r = await nl.lstsq(A, Float64Array.from(ref[k].b), { method: "qr", ...(c.rcond ? { rcond: c.rcond } : {}) });
      expect(r.rank, `case ${k}`).toBe(ref[k].rank);
      expect(r.reason).toBe("rank-deficient");
      const xn = Math.hypot(...ref[k].x);
      const err = Math.hypot(...Array.from(r.x, (v, i) => v - ref[k].x[i]));
      expect(err / xn, `case ${k}`).toBeLessThan(1e-9);
      expect(Math.abs(r.residualNorm - ref[k].r)).toBeLessThan(1e-10 * Math.max(1, ref[k].r));
    }
  });

  it("full-rank A: rank n, the usual solve; bad rcond refused", async () => {
    const A = new DenseMatrix(3, 2, new Float64Array([1, 0, 0, 1, 1, 1]));
    const r = await nl.lstsq(A, new Float64Array([1, 2, 3]), { method: "qr" });
    expect(r.rank).toBe(2);
    expect(r.reason).toBe("solved");
    for (const rcond of [-1, NaN, "1e-3"]) {
      const e = await nl.lstsq(A, new Float64Array([1, 2, 3]), { rcond: rcond as never }).then(() => undefined, (err) => err);
      expect(e).toBeInstanceOf(NumlaneError);
      expect(e.argument).toBe("opts.rcond");
    }
  });
});
