// nl.bcd on label propagation: forest / red-black blocks minimised exactly by
// message passing, against a direct solve of the same quadratic (a plain
// dense Cholesky here, SciPy's spsolve on the larger 3D graph); determinism
// across thread counts; bad input.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsrMatrix, DenseMatrix, init, NumlaneError, readMatrixMarket, type Numlane } from "../dist/index.js";
import { sameBits } from "./helpers.js";

let nl: Numlane;
beforeAll(async () => { nl = await init({ threads: 2 }); });
afterAll(async () => { await nl.close(); });

/** Edge weights |a_ij| (i ≠ j) of a Matrix Market matrix from data/matrices. */
function graph(name: string): CsrMatrix {
  const A = readMatrixMarket(readFileSync(new URL(`../data/matrices/${name}.mtx`, import.meta.url), "utf8")) as CsrMatrix;
  const i: number[] = [], j: number[] = [], v: number[] = [];
  for (let r = 0; r < A.rows; r++) for (let q = A.indptr[r]; q < A.indptr[r + 1]; q++) if (A.indices[q] !== r) { i.push(r); j.push(A.indices[q]); v.push(Math.abs(A.data[q])); }
  return CsrMatrix.fromCoo(A.rows, A.cols, i, j, v);
}

/** Every 7th node labelled, +1 in the first half of the nodes and −1 in the rest. */
function labelling(n: number) {
  const labelled = Uint8Array.from({ length: n }, (_, k) => (k % 7 === 0 ? 1 : 0));
  const labels = Float64Array.from({ length: n }, (_, k) => (labelled[k] ? (k < n / 2 ? 1 : -1) : NaN));
  return { labelled, labels };
}

/** The minimiser by a dense Cholesky solve of (D − W)_UU·x_U + l2·x_U = W_UL·x_L, plainly. */
function directSolve(W: CsrMatrix, labels: Float64Array, labelled: Uint8Array, l2: number): Float64Array {
  const n = W.rows, free: number[] = [], pos = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) if (!labelled[k]) { pos[k] = free.length; free.push(k); }
  const m = free.length, H = new Float64Array(m * m), r = new Float64Array(m);
  for (const u of free) {
    const a = pos[u];
    H[a * m + a] += l2;
    for (let q = W.indptr[u]; q < W.indptr[u + 1]; q++) {
      const v = W.indices[q], w = W.data[q];
      if (v === u) continue;
      H[a * m + a] += w;
      if (labelled[v]) r[a] += w * labels[v]; else H[a * m + pos[v]] -= w;
    }
  }
  for (let k = 0; k < m; k++) {
    for (let c = 0; c < k; c++) H[k * m + k] -= H[k * m + c] ** 2;
    H[k * m + k] = Math.sqrt(H[k * m + k]);
    for (let i = k + 1; i < m; i++) {
      let s = H[i * m + k];
      for (let c = 0; c < k; c++) s -= H[i * m + c] * H[k * m + c];
      H[i * m + k] = s / H[k * m + k];
    }
  }
  for (let i = 0; i < m; i++) { let s = r[i]; for (let c = 0; c < i; c++) s -= H[i * m + c] * r[c]; r[i] = s / H[i * m + i]; }
  for (let i = m - 1; i >= 0; i--) { let s = r[i]; for (let c = i + 1; c < m; c++) s -= H[c * m + i] * r[c]; r[i] = s / H[i * m + i]; }
  const x = Float64Array.from(labels, (v, k) => (labelled[k] ? v : 0));
  free.forEach((u, a) => (x[u] = r[a]));
  return x;
}

describe("bcd: label propagation by message passing", () => {
  it("reaches the direct solve on the 30×30 9-point grid graph (gr_900_900_crg), forest and red-black blocks", async () => {
    const W = graph("gr_900_900_crg");
    const { labelled, labels } = labelling(W.rows);
    for (const l2 of [0, 0.05]) {
      const ref = directSolve(W, labels, labelled, l2);
      const counts: Record<string, number> = {};
      for (const partition of ["forest", "red-black"] as const) {
        for (const rule of ["cyclic", "random"] as const) {
          const r = await nl.bcd({ loss: "label-propagation", W, labels, labelled, penalty: { l2 } }, { partition, rule, tol: 1e-12, maxIter: 1_000_000, seed: 4 });
          expect(r.reason, `${partition} ${rule}`).toBe("converged");
          for (let k = 0; k < W.rows; k++) expect(Math.abs(r.x[k] - ref[k]), `${partition} ${rule} l2=${l2} x[${k}]`).toBeLessThan(1e-9);
          for (let k = 0; k < W.rows; k++) if (labelled[k]) expect(r.x[k]).toBe(labels[k]);
          counts[`${partition} ${rule}`] = r.iterations;
        }
      }
      console.log(`label propagation, gr_30_30 graph, l2 = ${l2}: block updates to tol 1e-12`, JSON.stringify(counts));
      // Bigger exactly-solved blocks (forests) make more progress per update than independent sets.
      expect(counts["forest cyclic"]).toBeLessThan(counts["red-black cyclic"]);
    }
  });

  it("matches SciPy's spsolve on the 20³ 7-point grid graph (lap3D_7pt_n20), bit-identical on 1 and 2 threads", async () => {
    const W = graph("lap3D_7pt_n20");
    const { labelled, labels } = labelling(W.rows);
    const one = await nl.bcd({ loss: "label-propagation", W, labels, labelled }, { tol: 1e-11, threads: 1 });
    const two = await nl.bcd({ loss: "label-propagation", W, labels, labelled }, { tol: 1e-11, threads: 2 });
    expect(one.reason).toBe("converged");
    expect(two.iterations).toBe(one.iterations);
    expect(sameBits(two.x, one.x)).toBe(true);
    const rb = await nl.bcd({ loss: "label-propagation", W, labels, labelled }, { partition: "red-black", tol: 1e-11 });
    expect(rb.reason).toBe("converged");
    const py = "/usr/bin/python3";
    if (!existsSync(py) && !process.env.CI) return;
    const run = spawnSync(py, ["-c", `
import json, numpy as np, scipy.io, scipy.sparse as sp
from scipy.sparse.linalg import spsolve
A = sp.csr_matrix(scipy.io.mmread("data/matrices/lap3D_7pt_n20.mtx"))
W = abs(A - sp.diags(A.diagonal())).tocsr(); W.eliminate_zeros()
n = W.shape[0]; k = np.arange(n)
lab = k % 7 == 0; y = np.where(k < n / 2, 1.0, -1.0)
U = ~lab
L = sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W
x = np.where(lab, y, 0.0)
x[U] = spsolve(L[U][:, U].tocsc(), -(L[U][:, lab] @ y[lab]))
print(json.dumps(x.tolist()))`], { maxBuffer: 1 << 26 });
    if (run.status !== 0) {
      if (process.env.CI) throw new Error(`SciPy is required in CI: ${run.stderr}`);
      return;
    }
    const ref = JSON.parse(run.stdout.toString()) as number[];
    for (const r of [one, rb]) for (let k = 0; k < W.rows; k++) expect(Math.abs(r.x[k] - ref[k]), `x[${k}]`).toBeLessThan(1e-8);
    console.log(`label propagation, 20³ grid graph: forest ${one.iterations} block updates, red-black ${rb.iterations}`);
  });

  it("objective and bad input", async () => {
    const W = CsrMatrix.fromCoo(4, 4, [0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2], [1, 1, 2, 2, 1, 1]);  // a path 0–1–2–3
    const labelled = Uint8Array.of(1, 0, 0, 1), labels = Float64Array.of(1, NaN, NaN, -1);
    // Min over x1, x2 of (1 − x1)² + 2(x1 − x2)² + (x2 + 1)², halved: x = (1, 0.2, −0.2, −1), f = ½(0.64 + 0.32 + 0.64).
    const r = await nl.bcd({ loss: "label-propagation", W, labels, labelled }, { tol: 1e-14 });
    expect(Math.abs(r.x[1] - 0.2)).toBeLessThan(1e-13);
    expect(Math.abs(r.x[2] + 0.2)).toBeLessThan(1e-13);
    expect(Math.abs(r.objective - 0.8)).toBeLessThan(1e-13);
    expect(r.iterations).toBe(1);  // a path is one tree: one exact block solve
    const bad: [() => Promise<unknown>, string, string][] = [
      [() => nl.bcd({ loss: "label-propagation", W, labels, labelled }, { partition: "order" }), "unsupported", "opts.partition"],
      [() => nl.bcd({ loss: "label-propagation", W, labels, labelled }, { update: "lipschitz" }), "unsupported", "opts.update"],
      [() => nl.bcd({ loss: "label-propagation", W, labels, labelled }, { rule: "gs" }), "unsupported", "opts.rule"],
      [() => nl.bcd({ loss: "label-propagation", W, labels, labelled, penalty: { l1: 1 } }), "unsupported", "problem.penalty"],
      [() => nl.bcd({ loss: "label-propagation", W: CsrMatrix.fromCoo(2, 2, [0, 1], [1, 0], [1, 2]), labels: Float64Array.of(1, 0), labelled: Uint8Array.of(1, 0) }), "invalid-value", "problem.W"],
      [() => nl.bcd({ loss: "label-propagation", W: CsrMatrix.fromCoo(2, 2, [0, 1], [1, 0], [-1, -1]), labels: Float64Array.of(1, 0), labelled: Uint8Array.of(1, 0) }), "invalid-value", "problem.W"],
      [() => nl.bcd({ loss: "label-propagation", W, labels, labelled: Uint8Array.of(0, 0, 0, 0) }), "invalid-value", "problem.labelled"],
      [() => nl.bcd({ loss: "label-propagation", W: DenseMatrix.from([[0, 1], [1, 0]]) as never, labels, labelled }), "invalid-type", "problem.W"],
      [() => nl.bcd({ loss: "label-propagation", W, labels: Float64Array.of(1, 2), labelled }), "invalid-shape", "problem.labels"],
    ];
    for (const [call, code, argument] of bad) {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(NumlaneError);
      expect(err).toMatchObject({ code, argument });
    }
    // Without labels an l2 penalty still pins the minimiser (at zero).
    const z = await nl.bcd({ loss: "label-propagation", W, labels, labelled: Uint8Array.of(0, 0, 0, 0), penalty: { l2: 0.1 } }, { x0: Float64Array.of(1, 2, 3, 4), tol: 1e-12 });
    expect(Math.max(...Array.from(z.x, Math.abs))).toBeLessThan(1e-10);
  });
});
