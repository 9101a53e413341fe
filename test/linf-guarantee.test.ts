// lstsq's ℓ∞ guarantee (opts.guarantee): sketch-and-solve with a dense sketch
// of ε⁻²·n·ln³(m/δ) rows; the entrywise error against numpy.linalg.lstsq's
// x* within the bound the result reports, on a Gaussian and a coherent design
// (a few rows carry most of the leverage); bad options refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { python } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

const PY = `
import json, sys, numpy as np
out = []
for c in json.load(sys.stdin):
    rng = np.random.default_rng(c["seed"]); m, n = c["m"], c["n"]
    A = rng.standard_normal((m, n))
    if c["coherent"]:
        A[n:] *= 1e-2
        A[:n] = 10 * np.eye(n)
    x0 = 10 * rng.standard_normal(n)
    b = A @ x0 + rng.standard_normal(m)
    x = np.linalg.lstsq(A, b, rcond=None)[0]
    out.append({"A": A.ravel().tolist(), "b": b.tolist(), "x": x.tolist(), "pinv": float(1 / np.linalg.svd(A, compute_uv=False)[-1])})
print(json.dumps(out))
`;

describe("lstsq: the ℓ∞ guarantee of dense sketches", () => {
  it("sizes the sketch by the bound and keeps every entry of x within the bound it reports", async () => {
    const cases = [
      { seed: 1, m: 20000, n: 4, coherent: false },
      { seed: 2, m: 20000, n: 4, coherent: true },
    ];
    const ref = python(PY, cases);
    if (!ref) return;
    const [epsilon, delta] = [1, 0.1];
    for (const [k, c] of cases.entries()) {
      const A = new DenseMatrix(c.m, c.n, Float64Array.from(ref[k].A)), b = Float64Array.from(ref[k].b);
      for (const sketch of [undefined, "srht"] as const) {
        const r = await nl.lstsq(A, b, { guarantee: { norm: "inf", epsilon, delta }, ...(sketch ? { sketch } : {}) });
        const label = `${c.coherent ? "coherent" : "gaussian"} ${sketch ?? "gaussian sketch"}`;
        expect(r.method, label).toBe("sketch-and-solve");
        expect(r.sketchSize, label).toBe(Math.ceil(c.n * Math.log(c.m / delta) ** 3 / epsilon ** 2));
        const g = r.guarantee!;
        expect(g.norm).toBe("inf");
        // ‖A⁺‖ from the refined σ_min: from below, within 2×.
        expect(g.pinvNormEstimate / ref[k].pinv, label).toBeGreaterThan(0.5);
        expect(g.pinvNormEstimate / ref[k].pinv, label).toBeLessThan(1 + 1e-9);
        const err = Math.max(...Array.from(r.x, (v, i) => Math.abs(v - ref[k].x[i])));
        expect(err, label).toBeGreaterThan(0);
        expect(err, label).toBeLessThanOrEqual(g.bound);
        // Not vacuous on the Gaussian design: a small fraction of x*'s entries.
        if (!c.coherent) expect(g.bound, label).toBeLessThan(0.2 * Math.max(...ref[k].x.map(Math.abs)));
      }
    }
  });

  it("bad guarantees are NumlaneErrors before any kernel runs", async () => {
    const A = new DenseMatrix(200, 2, Float64Array.from({ length: 400 }, (_, i) => Math.sin(i))), b = Float64Array.from({ length: 200 }, (_, i) => Math.cos(i));
    const bad: [object, string][] = [
      [{ guarantee: { norm: "inf", epsilon: 0.5, delta: 0.1 } }, "opts.guarantee.epsilon"], // needs more rows than 200
      [{ guarantee: { norm: "2", epsilon: 1, delta: 0.1 } }, "opts.guarantee.norm"],
      [{ guarantee: { norm: "inf", epsilon: 1, delta: 1 } }, "opts.guarantee.delta"],
      [{ guarantee: { norm: "inf", epsilon: 1, delta: 0.1, extra: 1 } }, "opts.guarantee"],
      [{ guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, sketch: "countsketch" }, "opts.sketch"],
      [{ guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, method: "qr" }, "opts.guarantee"],
      [{ guarantee: { norm: "inf", epsilon: 50, delta: 0.1 }, sketchSize: 10 }, "opts.sketchSize"],
    ];
    for (const [opts, arg] of bad) {
      const e = await nl.lstsq(A, b, opts as never).then(() => undefined, (err) => err);
      expect(e, JSON.stringify(opts)).toBeInstanceOf(NumlaneError);
      expect(e.argument, JSON.stringify(opts)).toContain(arg);
    }
    const e = await nl.lstsq(CsrMatrix.fromDense(A), b, { guarantee: { norm: "inf", epsilon: 50, delta: 0.1 } }).then(() => undefined, (err) => err);
    expect(e.code).toBe("unsupported");
  });
});
