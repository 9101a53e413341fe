// The lab's generated problems, deterministic so that the browser tests can
// recompute them in Node and compare the page's answers with the API's own.

/** A 32-bit linear congruential stream in [-0.5, 0.5). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
}

/** m×n row-major A with column j scaled by cond^(−j/(n−1)) (so cond(A) ≈ cond), and b = A·x_true + noise·e. */
export function lstsqProblem(m: number, n: number, cond = 1e4, noise = 1e-3, seed = 7): { a: Float64Array; b: Float64Array } {
  const rand = uniform(seed);
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] = rand() * cond ** (-j / Math.max(1, n - 1));
  const x = Float64Array.from({ length: n }, (_, j) => 1 + j / n);
  const b = new Float64Array(m);
  for (let i = 0; i < m; i++) { let s = 0; for (let j = 0; j < n; j++) s += a[i * n + j] * x[j]; b[i] = s + noise * rand(); }
  return { a, b };
}

/** A sparse-ish lasso problem for the BCD race: m×n, 10% of x_true nonzero, correlated neighbouring columns. */
export function bcdProblem(m: number, n: number, seed = 11): { a: Float64Array; b: Float64Array } {
  const rand = uniform(seed);
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    let prev = 0;
    for (let j = 0; j < n; j++) { prev = 0.6 * prev + rand(); a[i * n + j] = prev; }
  }
  const b = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j += 10) s += a[i * n + j] * (j % 20 === 0 ? 2 : -1);
    b[i] = s + 0.1 * rand();
  }
  return { a, b };
}

/**
 * The 5-point Laplacian on an N×N grid (Dirichlet) in CSR form, columns sorted:
 * SPD, cond ≈ 0.4·N². Built straight into typed arrays (through COO and
 * fromCoo a 400×400 grid took 1.4 s of the page's thread), or into `into`
 * (the lab passes nl.alloc arrays, so the solve copies nothing).
 */
export function laplacian2d(N: number, into?: { indptr: Int32Array; indices: Int32Array; data: Float64Array }): { n: number; indptr: Int32Array; indices: Int32Array; data: Float64Array } {
  const n = N * N, nnz = laplacianNnz(N);
  const { indptr, indices, data } = into ?? { indptr: new Int32Array(n + 1), indices: new Int32Array(nnz), data: new Float64Array(nnz) };
  indptr[0] = 0;
  let k = 0;
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < N; c++) {
      const row = r * N + c;
      if (r > 0) { indices[k] = row - N; data[k++] = -1; }
      if (c > 0) { indices[k] = row - 1; data[k++] = -1; }
      indices[k] = row; data[k++] = 4;
      if (c < N - 1) { indices[k] = row + 1; data[k++] = -1; }
      if (r < N - 1) { indices[k] = row + N; data[k++] = -1; }
      indptr[row + 1] = k;
    }
  }
  return { n, indptr, indices, data };
}

/** Nonzeros of laplacian2d(N). */
export const laplacianNnz = (N: number) => 5 * N * N - 4 * N;

/** The lab's settings that the tests repeat: one source for both. */
export const LAB = {
  lstsq: { m: 20000, n: 50, methods: ["sketch-and-solve", "sketch-and-precondition", "iterative-sketching"] as const, sketchFactors: [2, 4, 8, 16] },
  softmax: { rows: 512, cols: 2048, reps: 9, algorithms: ["three-pass", "blocked", "two-pass", "online"] as const },
  bcd: {
    m: 400, n: 100, l1: 0.05, rules: ["cyclic", "random", "lipschitz", "gs", "gsl", "gsq"] as const,
    /** Block-update budgets at which the objective is recorded (×n: epochs). */
    budgets: [0.25, 0.5, 1, 2, 3, 5, 8, 12, 20, 30],
  },
  cg: { grids: { small: 100, long: 400 } },
  sequences: {
    family: "darcy" as const, grid: 48, count: 12, seed: 3,
    /** The strategies raced, as generate() options. */
    strategies: {
      plain: { order: "given" },
      sorted: { order: "sorted" },
      recycled: { order: "sorted", recycle: 8 },
      "learned ω": { order: "sorted", omega: "learn" },
    } as Record<string, { order: "given" | "sorted"; recycle?: number; omega?: "learn" }>,
  },
};
