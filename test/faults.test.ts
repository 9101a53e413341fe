// Faults that must end loudly and cleanly, never corrupt the pool or hang:
// throwing callbacks, dead workers, close() during calls, aborted queued
// calls, heavy concurrency and long soaks.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, init, NumlaneError, type Numlane } from "../dist/index.js";
import { matvec, norm, uniform } from "./helpers.js";

/** The 2-D Laplacian on a k × k grid (SPD, n = k²). */
function laplacian(k: number): CsrMatrix {
  const I: number[] = [], J: number[] = [], V: number[] = [];
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      const i = r * k + c;
      I.push(i); J.push(i); V.push(4);
      for (const [dr, dc] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
        const rr = r + dr, cc = c + dc;
        if (rr >= 0 && rr < k && cc >= 0 && cc < k) { I.push(i); J.push(rr * k + cc); V.push(-1); }
      }
    }
  }
  return CsrMatrix.fromCoo(k * k, k * k, I, J, V);
}

/** ‖b − A·x‖ / ‖b‖, recomputed plainly. */
const relResidual = (A: CsrMatrix, x: Float64Array, b: Float64Array) =>
  norm(Array.from(matvec(A, x), (v, i) => b[i] - v)) / norm(b);

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

describe("callbacks", () => {
  const A = laplacian(60), b = uniform(3600, 7);

  it("a throwing onProgress rejects the call once the kernel stopped; the pool stays right", async () => {
    for (let round = 0; round < 3; round++) {
      const boom = new Error("boom");
      await expect(nl.cg(A, b, { rtol: 0, maxIter: 3000, threads: 2, onProgress() { throw boom; } })).rejects.toBe(boom);
      const r = await nl.cg(A, b, { rtol: 1e-10, threads: 2 });
      expect(r.reason).toBe("converged");
      expect(r.iterations).toBeGreaterThan(50);
      expect(relResidual(A, r.x, b)).toBeLessThan(1e-9);
    }
    expect(nl.engine.heap.bytesInUse).toBeLessThan(1 << 16);
  });

  it("a non-function onProgress or a non-signal is a NumlaneError naming it, before anything runs", async () => {
    const b0 = b.slice();
    for (const [opts, argument] of [[{ onProgress: 5 }, "opts.onProgress"], [{ onProgress: "f" }, "opts.onProgress"], [{ signal: {} }, "opts.signal"]] as const) {
      for (const call of [() => nl.cg(A, b, opts as never), () => nl.blas.dot(b, b, opts as never), () => nl.softmax(b, opts as never)]) {
        const e = await call().then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(NumlaneError);
        expect(e).toMatchObject({ code: "invalid-type", argument });
      }
    }
    expect(b).toEqual(b0);
    expect((await nl.cg(A, b, { rtol: 1e-10 })).reason).toBe("converged");
  });
});
