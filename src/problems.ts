// Seeded problem families (nl.problems, or import { problems }): sequences of
// linear systems on an N×N grid that share one sparsity pattern, each with its
// parameters as a feature vector, for solveSequence and the dataset generator.
//
// Every value is a pure function of the options: the random draws come from a
// counter-based SplitMix64 (the construction of assembly/core/rng.ts) and the
// transcendentals (cos, exp, log) are evaluated here with + − × ÷ and sqrt
// only, which IEEE 754 rounds the same in every engine — Math.cos/exp/log
// may differ in the last bit between V8 and JavaScriptCore.
import { NumlaneError } from "./errors.js";
import { CsrMatrix } from "./matrix.js";
import { MAXIMUM_BYTES } from "./runtime/heap.js";
import { finiteNumber, integer, positive, requireOptions, type OptionKeys } from "./validate.js";

/** A family's name (PROBLEM_FAMILIES lists them; FAMILIES must have exactly these keys). */
export type ProblemFamily = "poisson" | "darcy" | "helmholtz" | "convection-diffusion" | "heat";

/** One system of a family: A·x = b, with the parameters that made it. */
export interface ProblemSystem {
  A: CsrMatrix;
  b: Float64Array;
  /** The system's parameters (a field's expansion coefficients, a wavenumber, a wind, a time step). */
  features: Float64Array;
}

export interface ProblemSet {
  family: ProblemFamily;
  /** Every option, defaults filled in. */
  params: Record<string, unknown>;
  /** All systems share one pattern: their A's indptr and indices are the same arrays. */
  systems: ProblemSystem[];
  /** What each system was made from, system after system (C order): fields or parameters. */
  inputs: Float64Array;
  /** Shape of inputs: [count, N, N] for fields, [count, p] for p parameters. */
  inputShape: number[];
}

interface GridOptions {
  /** Points (nodes, or Darcy's cells) per side: the systems have grid² unknowns. */
  grid: number;
  /** Systems in the sequence. */
  count: number;
  /** Default 0: the same seed gives the same systems in every runtime. */
  seed?: number;
}

/** The Gaussian random field g with covariance (−Δ + τ²)^−α, by a truncated cosine expansion. */
export interface FieldOptions {
  /** Cosine modes per direction (default 8): K² − 1 coefficients per field. */
  modes?: number;
  /** Default 2. */
  alpha?: number;
  /** Default 3. */
  tau?: number;
}

export interface PoissonOptions extends GridOptions, FieldOptions {}
export interface DarcyOptions extends GridOptions, FieldOptions {
  /** "lognormal" (default): a = exp(g); "piecewise": a = 12 where g ≥ 0, else 3 (the FNO Darcy benchmark). */
  coefficient?: "lognormal" | "piecewise";
  /**
   * A positive map (grid² values, row by row) that multiplies every
   * system's coefficient: channels, barriers, a field painted by hand. The
   * random part still varies from system to system. Recorded in `params`.
   */
  base?: ArrayLike<number>;
}
export interface HelmholtzOptions extends GridOptions {
  /** Wavenumbers k are drawn uniformly in [lo, hi]; default [2, 12] (−Δ's smallest eigenvalue is ≈ 2π², k ≈ 4.4). */
  wavenumbers?: [number, number];
}
export interface ConvectionDiffusionOptions extends GridOptions {
  /** ε in −εΔu + w·∇u = 1; default 0.01. */
  diffusion?: number;
  /** |w|; default 1. The wind's angle turns once round over the sequence, from a seeded start. */
  speed?: number;
}
export interface HeatOptions extends GridOptions, FieldOptions {
  /** Time steps Δt drawn log-uniformly in [lo, hi]; default [1e-4, 1e-1]. */
  dt?: [number, number];
}

const GRID_KEYS = { grid: true, count: true, seed: true } as const;
const FIELD_KEYS = { modes: true, alpha: true, tau: true } as const;
const POISSON_KEYS: OptionKeys<PoissonOptions> = { ...GRID_KEYS, ...FIELD_KEYS };
const DARCY_KEYS: OptionKeys<DarcyOptions> = { ...GRID_KEYS, ...FIELD_KEYS, coefficient: true, base: true };
const HELMHOLTZ_KEYS: OptionKeys<HelmholtzOptions> = { ...GRID_KEYS, wavenumbers: true };
const CONVECTION_KEYS: OptionKeys<ConvectionDiffusionOptions> = { ...GRID_KEYS, diffusion: true, speed: true };
const HEAT_KEYS: OptionKeys<HeatOptions> = { ...GRID_KEYS, ...FIELD_KEYS, dt: true };

// ---------------------------------------------------------------------------
// Deterministic random numbers and elementary functions.

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's finaliser of seed + counter·golden ratio (assembly/core/rng.ts mix64). */
export function mix64(seed: bigint, counter: bigint): bigint {
  let z = (seed + counter * 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * mix64(key, counter)'s top 53 bits as a number, the key given as its 32-bit
 * halves: the same integer arithmetic in 32-bit pieces (exact), ~10× faster
 * than BigInt's, which was a tenth of a Darcy chunk's build.
 */
function mix64Top53(keyHi: number, keyLo: number, counter: number): number {
  // z = key + counter · golden ratio (mod 2^64), counter < 2^53.
  mul64(Math.floor(counter / 2 ** 32) >>> 0, counter >>> 0, 0x9e3779b9, 0x7f4a7c15);
  let lo = keyLo + mulLo, hi = (keyHi + mulHi + (lo >= 2 ** 32 ? 1 : 0)) >>> 0;
  lo >>>= 0;
  // z = (z ^ z >> 30) · 0xbf58476d1ce4e5b9; z = (z ^ z >> 27) · 0x94d049bb133111eb; z ^ z >> 31.
  mul64(hi ^ (hi >>> 30), (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0, 0xbf58476d, 0x1ce4e5b9);
  hi = mulHi; lo = mulLo;
  mul64(hi ^ (hi >>> 27), (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0, 0x94d049bb, 0x133111eb);
  hi = mulHi; lo = mulLo;
  lo = (lo ^ ((lo >>> 31) | (hi << 1))) >>> 0;
  hi = (hi ^ (hi >>> 31)) >>> 0;
  return hi * 2 ** 21 + (lo >>> 11);
}
let mulHi = 0, mulLo = 0;
/** (ah·2^32 + al)·(bh·2^32 + bl) mod 2^64 into mulHi, mulLo (unsigned 32-bit halves): al·bl in 16-bit pieces, the cross terms mod 2^32. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = bl & 0xffff, b1 = bl >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mulLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  mulHi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** A stream of draws for (seed, stream): system s of a family always uses stream s, whatever the count. */
export class SeededStream {
  private readonly keyHi: number;
  private readonly keyLo: number;
  private counter = 0;
  private spare: number | undefined;

  constructor(seed: number, stream: number) {
    const key = mix64(BigInt(seed), 0x5bd1e9955bd1e995n ^ BigInt(stream));
    this.keyHi = Number(key >> 32n);
    this.keyLo = Number(key & 0xffffffffn);
  }

  /** Uniform in [0, 1), 53 bits: mix64(key, counter) >> 11, scaled. */
  uniform(): number {
    return mix64Top53(this.keyHi, this.keyLo, this.counter++) * 2 ** -53;
  }

  /** A standard normal (Marsaglia's polar method, with the deterministic log below). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1, v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * logDeterministic(s)) / s);
      this.spare = v * f;
      return u * f;
    }
  }
}

// ln 2 split so that k·LN2_HI is exact for |k| < 2^20 (fdlibm's constants).
const LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
const LN2 = 0.6931471805599453;
const scratch = new DataView(new ArrayBuffer(8));

/** 2^k for integers k in [−1022, 1023] (doubling and halving are exact), at index k + 1022. */
const POW2 = (() => {
  const t = new Float64Array(2046);
  t[1022] = 1;
  for (let k = 1; k <= 1023; k++) t[1022 + k] = t[1021 + k] * 2;
  for (let k = 1; k <= 1022; k++) t[1022 - k] = t[1023 - k] / 2;
  return t;
})();
const pow2 = (k: number) => POW2[k + 1022];

/** e^x, within 2 ulp, the same bits in every engine. */
export function expDeterministic(x: number): number {
  if (x !== x) return NaN;
  if (x > 709.782712893384) return Infinity;
  if (x < -745.2) return 0;
  const k = Math.round(x / LN2);
  const r = (x - k * LN2_HI) - k * LN2_LO;
  // Taylor series to r^13/13!: |r| ≤ ln2/2, remainder below 4e-18.
  let p = 1 / 6227020800;
  for (let i = 12; i >= 1; i--) p = p * r + INVERSE_FACTORIALS[i];
  p = p * r + 1;
  // 2^k itself may lie outside the normal range at the ends: scale in two steps there.
  return k > 1023 ? p * pow2(k - 1) * 2 : k < -1021 ? p * pow2(k + 64) * 2 ** -64 : p * pow2(k);
}
const INVERSE_FACTORIALS = (() => {
  const f = [1];
  for (let i = 1; i <= 13; i++) f.push(f[i - 1] / i);
  return f;
})();

/** ln x for finite x > 0, within 2 ulp, the same bits in every engine. */
export function logDeterministic(x: number): number {
  if (!(x > 0) || x === Infinity) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  let e = 0;
  if (x < 2 ** -1000) { x *= 2 ** 64; e = -64; }
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  e += ((hi >>> 20) & 0x7ff) - 1023;
  scratch.setUint32(0, (hi & 0x800fffff) | (1023 << 20));
  let m = scratch.getFloat64(0);          // x = m·2^e, m in [1, 2)
  if (m > Math.SQRT2) { m /= 2; e += 1; }  // m in (√½, √2]
  // ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172: series to t^25.
  const t = (m - 1) / (m + 1), t2 = t * t;
  let s = 1 / 25;
  for (let i = 23; i >= 1; i -= 2) s = s * t2 + 1 / i;
  return e * LN2_HI + (e * LN2_LO + 2 * t * s);
}

/** cos(π·m/d) for integers m, d > 0: the angle is reduced exactly, in integers. */
export function cosPiRational(m: number, d: number): number {
  let r = m % (2 * d);
  if (r < 0) r += 2 * d;
  if (r > d) r = 2 * d - r;                // cos is even about π
  let sign = 1;
  if (2 * r > d) { r = d - r; sign = -1; } // cos(π − θ) = −cos θ; now θ = πr/d ≤ π/2
  // θ ≤ π/4: cos θ; else sin(π/2 − θ) with π/2 − θ = π(d − 2r)/(2d).
  return 4 * r <= d ? sign * cosSeries((Math.PI * r) / d) : sign * sinSeries((Math.PI * (d - 2 * r)) / (2 * d));
}

// Taylor series on |t| ≤ π/4: remainders below 1e-17.
function cosSeries(t: number): number {
  const t2 = t * t;
  let p = 0;
  for (let i = 18; i >= 2; i -= 2) p = (p - INVERSE_EVEN[i]) * -t2;
  return 1 - p;
}
function sinSeries(t: number): number {
  const t2 = t * t;
  let p = 0;
  for (let i = 19; i >= 3; i -= 2) p = (p - INVERSE_ODD[i]) * -t2;
  return t - t * p;
}
const INVERSE_EVEN: number[] = [], INVERSE_ODD: number[] = [];
{
  let f = 1;
  for (let i = 1; i <= 19; i++) {
    f *= i;
    (i % 2 ? INVERSE_ODD : INVERSE_EVEN)[i] = 1 / f;
  }
}

// ---------------------------------------------------------------------------
// The Gaussian random field.

/**
 * g(x, y) = Σ c_k φ_k1(x) φ_k2(y) over 0 ≤ k1, k2 < K, k ≠ (0, 0) (a field of
 * zero mean over the square, as FNO's), φ_0 = 1, φ_k = √2·cos(πk·) (an
 * orthonormal basis of L²(0, 1)), c_k = ξ_k·(π²|k|² + τ²)^(−α/2), ξ_k
 * standard normals. The features are the c_k: their Euclidean distance is the
 * fields' L² distance.
 */
export class RandomField {
  /** (π²|k|² + τ²)^(−α/2) for k2 major, k1 minor, (0, 0) left out. */
  readonly scales: Float64Array;

  constructor(readonly modes: number, readonly alpha: number, readonly tau: number) {
    this.scales = new Float64Array(modes * modes - 1);
    for (let k2 = 0, i = 0; k2 < modes; k2++) {
      for (let k1 = 0; k1 < modes; k1++) {
        if (k1 === 0 && k2 === 0) continue;
        const base = Math.PI * Math.PI * (k1 * k1 + k2 * k2) + tau * tau;
        this.scales[i++] = expDeterministic((-alpha / 2) * logDeterministic(base));
      }
    }
  }

  /** A field's coefficients c_k from a stream's normals. */
  draw(stream: SeededStream): Float64Array {
    return this.scales.map((s) => stream.normal() * s);
  }

  /** φ_k at the cell centres (j + ½)/n, or the interior nodes (j + 1)/(n + 1), j < n: row k of K. */
  basis(n: number, atCellCentres: boolean): Float64Array {
    const K = this.modes, table = new Float64Array(K * n);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < n; j++) {
        table[k * n + j] = k === 0 ? 1 : Math.SQRT2 * (atCellCentres ? cosPiRational(k * (2 * j + 1), 2 * n) : cosPiRational(k * (j + 1), n + 1));
      }
    }
    return table;
  }

  /** The field on an n × n grid (row i is y, column j is x) from coefficients c and a basis table. */
  evaluate(c: Float64Array, basis: Float64Array, n: number, out = new Float64Array(n * n)): Float64Array {
    const K = this.modes;
    // Along x first: t[k2][j] = Σ_k1 c[k2][k1] φ_k1(x_j); then g[i][j] = Σ_k2 φ_k2(y_i) t[k2][j].
    const t = new Float64Array(K * n);
    for (let k2 = 0; k2 < K; k2++) {
      for (let k1 = 0; k1 < K; k1++) {
        if (k1 === 0 && k2 === 0) continue;
        const ck = c[k2 * K + k1 - 1];
        for (let j = 0; j < n; j++) t[k2 * n + j] += ck * basis[k1 * n + j];
      }
    }
    out.fill(0);
    for (let k2 = 0; k2 < K; k2++) {
      for (let i = 0; i < n; i++) {
        const phi = basis[k2 * n + i];
        for (let j = 0; j < n; j++) out[i * n + j] += phi * t[k2 * n + j];
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------------------
// The five-point pattern and its assembly.

/**
 * The five-point pattern on an n × n grid, unknown (i, j) at i·n + j, columns
 * sorted in each row (south, west, centre, east, north); neighbours outside
 * the grid are left out (Dirichlet boundary).
 */
function fivePointPattern(n: number): { indptr: Int32Array; indices: Int32Array } {
  const N = n * n;
  const indptr = new Int32Array(N + 1);
  const indices = new Int32Array(5 * N - 4 * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = i * n + j;
      if (i > 0) indices[k++] = p - n;
      if (j > 0) indices[k++] = p - 1;
      indices[k++] = p;
      if (j < n - 1) indices[k++] = p + 1;
      if (i < n - 1) indices[k++] = p + n;
      indptr[p + 1] = k;
    }
  }
  return { indptr, indices };
}

/** Stencil weights of one row: south, west, centre, east, north (neighbours outside are dropped). */
type Stencil = (i: number, j: number, w: Float64Array) => void;

/** A matrix on the shared pattern from a stencil evaluated at every point. */
function assemble(n: number, pattern: { indptr: Int32Array; indices: Int32Array }, stencil: Stencil): CsrMatrix {
  const data = new Float64Array(pattern.indices.length);
  const w = new Float64Array(5);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      stencil(i, j, w);
      if (i > 0) data[k++] = w[0];
      if (j > 0) data[k++] = w[1];
      data[k++] = w[2];
      if (j < n - 1) data[k++] = w[3];
      if (i < n - 1) data[k++] = w[4];
    }
  }
  return new CsrMatrix(n * n, n * n, pattern.indptr, pattern.indices, data);
}

/** −Δ by the five-point stencil on n × n interior nodes of the unit square (h = 1/(n + 1)) plus `shift`·I. */
function shiftedLaplacian(n: number, pattern: { indptr: Int32Array; indices: Int32Array }, shift: number): CsrMatrix {
  const h2 = (n + 1) * (n + 1);
  return assemble(n, pattern, (_i, _j, w) => {
    w[0] = w[1] = w[3] = w[4] = -h2;
    w[2] = 4 * h2 + shift;
  });
}

// ---------------------------------------------------------------------------
// Option checks, shared.

const SEED_MAX = 2 ** 53 - 1;
/** The five-point pattern's 5n² − 4n column indices must fit in an Int32Array's index range. */
const MAX_GRID = 20724;

function gridOptions(opts: GridOptions): { n: number; count: number; seed: number } {
  const n = integer("opts.grid", opts.grid, 1, MAX_GRID);
  const count = integer("opts.count", opts.count, 1);
  const seed = integer("opts.seed", opts.seed ?? 0, 0, SEED_MAX);
  return { n, count, seed };
}

function fieldOptions(opts: FieldOptions): RandomField {
  // At least 2: the constant mode is left out.
  const modes = integer("opts.modes", opts.modes ?? 8, 2, 1024);
  return new RandomField(modes, positive("opts.alpha", opts.alpha ?? 2), positive("opts.tau", opts.tau ?? 3));
}

/** [lo, hi] with 0 ≤ lo ≤ hi (or 0 < lo when `logScale`). */
function range(name: string, v: unknown, fallback: [number, number], logScale: boolean): [number, number] {
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.length !== 2) throw new NumlaneError("invalid-type", "expected [lo, hi]", name);
  const lo = logScale ? positive(`${name}[0]`, v[0]) : finiteNumber(`${name}[0]`, v[0]);
  const hi = finiteNumber(`${name}[1]`, v[1]);
  if (lo < 0) throw new NumlaneError("invalid-value", `expected lo ≥ 0, got ${lo}`, `${name}[0]`);
  if (hi < lo) throw new NumlaneError("invalid-value", `expected hi ≥ lo = ${lo}, got ${hi}`, `${name}[1]`);
  return [lo, hi];
}

/**
 * Refuses, before allocating, a family whose arrays would pass numlane's
 * memory limit: `valueArrays` n-sized f64 arrays per system beside its
 * matrix values (`ownMatrix`: each system its own, else one shared).
 */
function checkFits(n: number, count: number, perSystemScalars: number, valueArrays: number, ownMatrix: boolean): void {
  const N = n * n, nnz = 5 * N - 4 * n;
  const bytes = 4 * (N + 1 + nnz) + 8 * nnz * (ownMatrix ? count : 1) + 8 * count * (valueArrays * N + perSystemScalars);
  if (bytes > MAXIMUM_BYTES) {
    throw new NumlaneError("out-of-memory",
      `${count} systems on a ${n}×${n} grid need ${(bytes / 2 ** 30).toFixed(1)} GiB, more than numlane's ${MAXIMUM_BYTES / 2 ** 30} GiB; use a smaller grid or fewer systems`,
      "opts.grid");
  }
}

/**
 * The systems a family builds: `only` (indices into the family, in that
 * order: a queue worker's chunk, without the rest) or all of them. System s
 * is the same either way (its draws come from stream s).
 */
function systemsToBuild(count: number, only: readonly number[] | undefined): readonly number[] {
  if (only === undefined) return Array.from({ length: count }, (_, s) => s);
  if (!Array.isArray(only)) throw new NumlaneError("invalid-type", "expected an array of system indices", "only");
  only.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0 || s >= count) throw new NumlaneError("invalid-value", `system ${s} is not in the family (count ${count})`, `only[${i}]`);
  });
  return only;
}

// ---------------------------------------------------------------------------
// The families.

/**
 * Set while problemFeatures runs: the families then draw each system's
 * features into it and build nothing else (no field, no matrix).
 */
let featureSink: Float64Array[] | undefined;

/** −Δu = f on the unit square, u = 0 on the boundary (five points, n × n interior nodes), f a random field per system. */
export function poisson(opts: PoissonOptions, only?: readonly number[]): ProblemSet {
  requireOptions("opts", opts, POISSON_KEYS);
  const { n, count, seed } = gridOptions(opts);
  const picks = systemsToBuild(count, only), built = picks.length;
  const field = fieldOptions(opts);
  if (!featureSink) checkFits(n, built, field.scales.length, 2, false);
  const pattern = fivePointPattern(n);
  const A = shiftedLaplacian(n, pattern, 0);
  const basis = field.basis(n, false);
  const N = n * n, inputs = new Float64Array(featureSink ? 0 : built * N);
  const systems: ProblemSystem[] = [];
  for (const [at, s] of picks.entries()) {
    const features = field.draw(new SeededStream(seed, s));
    if (featureSink) { featureSink.push(features); continue; }
    const f = field.evaluate(features, basis, n, inputs.subarray(at * N, (at + 1) * N));
    systems.push({ A, b: f.slice(), features });
  }
  return {
    family: "poisson", params: { grid: n, count, seed, modes: field.modes, alpha: field.alpha, tau: field.tau },
    systems, inputs, inputShape: [built, n, n],
  };
}

/**
 * −∇·(a∇u) = 1 on the unit square, u = 0 on the boundary, by cell-centred
 * finite volumes on n × n cells: the flux between neighbouring cells is
 * T·(u_P − u_Q)/h² with T the harmonic mean 2a_P a_Q/(a_P + a_Q); across the
 * boundary (half a cell from the centre) T = 2a_P. SPD. a = exp(g) or 12/3 by
 * the sign of g, g the random field at the cell centres.
 */
export function darcy(opts: DarcyOptions, only?: readonly number[]): ProblemSet {
  requireOptions("opts", opts, DARCY_KEYS);
  const { n, count, seed } = gridOptions(opts);
  const picks = systemsToBuild(count, only), built = picks.length;
  const field = fieldOptions(opts);
  const coefficient = opts.coefficient ?? "lognormal";
  if (coefficient !== "lognormal" && coefficient !== "piecewise") {
    throw new NumlaneError("invalid-value", `expected "lognormal" or "piecewise", got ${JSON.stringify(coefficient)}`, "opts.coefficient");
  }
  if (!featureSink) checkFits(n, built, field.scales.length, 2, true);
  const base = opts.base === undefined ? undefined : baseMap(opts.base, n);
  const pattern = fivePointPattern(n);
  const basis = field.basis(n, true);
  const N = n * n, inputs = new Float64Array(featureSink ? 0 : built * N), g = new Float64Array(N);
  const systems: ProblemSystem[] = [];
  for (const [at, s] of picks.entries()) {
    const features = field.draw(new SeededStream(seed, s));
    if (featureSink) { featureSink.push(features); continue; }
    field.evaluate(features, basis, n, g);
    const a = inputs.subarray(at * N, (at + 1) * N);
    for (let p = 0; p < N; p++) a[p] = coefficient === "lognormal" ? expDeterministic(g[p]) : g[p] >= 0 ? 12 : 3;
    if (base) for (let p = 0; p < N; p++) a[p] *= base[p];
    const A = darcyMatrix(n, pattern, a);
    systems.push({ A, b: new Float64Array(N).fill(1), features });
  }
  return {
    family: "darcy", params: { grid: n, count, seed, coefficient, modes: field.modes, alpha: field.alpha, tau: field.tau, ...(base && { base: Array.from(base) }) },
    systems, inputs, inputShape: [built, n, n],
  };
}

/** Darcy's `base` checked: n² finite positive values (bounded, so that harmonic means cannot overflow). */
function baseMap(base: ArrayLike<number>, n: number): Float64Array {
  if (base === null || typeof base !== "object" || typeof base.length !== "number") throw new NumlaneError("invalid-type", "expected an array of grid² numbers", "opts.base");
  if (base.length !== n * n) throw new NumlaneError("invalid-shape", `expected ${n * n} values (grid ${n} squared), got ${base.length}`, "opts.base");
  const out = Float64Array.from(base);
  for (let p = 0; p < out.length; p++) {
    if (!(out[p] >= 1e-100 && out[p] <= 1e100)) throw new NumlaneError("invalid-value", `expected values in [1e-100, 1e100], got ${base[p]} at ${p}`, "opts.base");
  }
  return out;
}

function darcyMatrix(n: number, pattern: { indptr: Int32Array; indices: Int32Array }, a: Float64Array): CsrMatrix {
  const h2 = n * n;
  // Transmissibility of each face, once: harmonic means inside (2xy/(x + y) has
  // the same bits either way round), 2a_P to the boundary. east[i·n + j] is
  // the face between (i, j) and (i, j + 1), or the boundary for j = n − 1;
  // north likewise towards i + 1.
  const east = new Float64Array(n * n), north = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = i * n + j, aP = a[p];
      east[p] = j < n - 1 ? (2 * aP * a[p + 1]) / (aP + a[p + 1]) : 2 * aP;
      north[p] = i < n - 1 ? (2 * aP * a[p + n]) / (aP + a[p + n]) : 2 * aP;
    }
  }
  return assemble(n, pattern, (i, j, w) => {
    const p = i * n + j;
    const tS = i > 0 ? north[p - n] : 2 * a[p];
    const tW = j > 0 ? east[p - 1] : 2 * a[p];
    const tE = east[p], tN = north[p];
    w[0] = -tS * h2; w[1] = -tW * h2; w[3] = -tE * h2; w[4] = -tN * h2;
    w[2] = (tS + tW + tE + tN) * h2;
  });
}

/**
 * −Δu − k²u = δ (a unit point source at the centre node, δ = 1/h² there)
 * with u = 0 on the boundary: five points on n × n interior nodes; indefinite
 * once k² passes −Δ's smallest eigenvalue. Features: [k].
 */
export function helmholtz(opts: HelmholtzOptions, only?: readonly number[]): ProblemSet {
  requireOptions("opts", opts, HELMHOLTZ_KEYS);
  const { n, count, seed } = gridOptions(opts);
  const picks = systemsToBuild(count, only), built = picks.length;
  const [lo, hi] = range("opts.wavenumbers", opts.wavenumbers, [2, 12], false);
  if (!featureSink) checkFits(n, built, 2, 1, true);
  const pattern = fivePointPattern(n);
  const N = n * n, inputs = new Float64Array(built);
  const systems: ProblemSystem[] = [];
  const centre = (n >> 1) * n + (n >> 1);
  for (const [at, s] of picks.entries()) {
    const k = lo + (hi - lo) * new SeededStream(seed, s).uniform();
    if (featureSink) { featureSink.push(Float64Array.of(k)); continue; }
    inputs[at] = k;
    const b = new Float64Array(N);
    b[centre] = (n + 1) * (n + 1);
    systems.push({ A: shiftedLaplacian(n, pattern, -k * k), b, features: Float64Array.of(k) });
  }
  return { family: "helmholtz", params: { grid: n, count, seed, wavenumbers: [lo, hi] }, systems, inputs, inputShape: [built, 1] };
}

/**
 * −εΔu + w·∇u = 1, u = 0 on the boundary, on n × n interior nodes: central
 * differences for Δ, first-order upwind for w·∇u (so an M-matrix, nonsymmetric).
 * System s has wind w = speed·(cos θ_s, sin θ_s), θ_s = θ_0 + 2πs/count
 * (θ_0 seeded): the wind turns once round over the sequence. Features: [w_x, w_y].
 */
export function convectionDiffusion(opts: ConvectionDiffusionOptions, only?: readonly number[]): ProblemSet {
  requireOptions("opts", opts, CONVECTION_KEYS);
  const { n, count, seed } = gridOptions(opts);
  const picks = systemsToBuild(count, only), built = picks.length;
  const eps = positive("opts.diffusion", opts.diffusion ?? 0.01);
  const speed = finiteNumber("opts.speed", opts.speed ?? 1);
  if (speed < 0) throw new NumlaneError("invalid-value", `expected a speed ≥ 0, got ${speed}`, "opts.speed");
  if (!featureSink) checkFits(n, built, 4, 1, true);
  const pattern = fivePointPattern(n);
  const N = n * n, inputs = new Float64Array(2 * built);
  const h = 1 / (n + 1), d = eps / (h * h);
  // θ_s = 2π(s + o)/count with a seeded offset o in [0, 1) in 1/1024ths: every
  // angle a rational multiple of π, reduced exactly (cosPiRational).
  const offset = Math.floor(new SeededStream(seed, 0).uniform() * 1024);
  const systems: ProblemSystem[] = [];
  for (const [at, s] of picks.entries()) {
    const m = 2 * (1024 * s + offset), den = 1024 * count;   // θ_s/π = m/den
    const wx = speed * cosPiRational(m, den), wy = speed * cosPiRational(2 * m - den, 2 * den);  // sin θ = cos(θ − π/2)
    if (featureSink) { featureSink.push(Float64Array.of(wx, wy)); continue; }
    inputs[2 * at] = wx;
    inputs[2 * at + 1] = wy;
    const A = assemble(n, pattern, (_i, _j, w) => {
      w[1] = -d - Math.max(wx, 0) / h;   // west, upwind when the wind blows east
      w[3] = -d + Math.min(wx, 0) / h;
      w[0] = -d - Math.max(wy, 0) / h;   // south
      w[4] = -d + Math.min(wy, 0) / h;
      w[2] = 4 * d + (Math.abs(wx) + Math.abs(wy)) / h;
    });
    systems.push({ A, b: new Float64Array(N).fill(1), features: Float64Array.of(wx, wy) });
  }
  return {
    family: "convection-diffusion", params: { grid: n, count, seed, diffusion: eps, speed },
    systems, inputs, inputShape: [built, 2],
  };
}

/** The heat family's initial field: beyond any system's stream (system s draws from stream s < 2^31). */
const INITIAL_FIELD_STREAM = 2 ** 32;

/**
 * One implicit Euler step of the heat equation u_t = Δu from a random initial
 * field u_0 (one per sequence), for a sequence of time steps:
 * (I + Δt·K)·u = u_0 with K the five-point −Δ on n × n interior nodes. SPD.
 * Features: [Δt].
 */
export function heat(opts: HeatOptions, only?: readonly number[]): ProblemSet {
  requireOptions("opts", opts, HEAT_KEYS);
  const { n, count, seed } = gridOptions(opts);
  const picks = systemsToBuild(count, only), built = picks.length;
  const field = fieldOptions(opts);
  const [lo, hi] = range("opts.dt", opts.dt, [1e-4, 1e-1], true);
  if (!featureSink) checkFits(n, built, 2, 0, true);
  const pattern = fivePointPattern(n);
  const u0 = field.evaluate(field.draw(new SeededStream(seed, INITIAL_FIELD_STREAM)), field.basis(n, false), n);
  const inputs = new Float64Array(built), logRatio = logDeterministic(hi / lo);
  const h2 = (n + 1) * (n + 1);
  const systems: ProblemSystem[] = [];
  for (const [at, s] of picks.entries()) {
    const dt = lo * expDeterministic(new SeededStream(seed, s).uniform() * logRatio);
    if (featureSink) { featureSink.push(Float64Array.of(dt)); continue; }
    inputs[at] = dt;
    const A = assemble(n, pattern, (_i, _j, w) => {
      w[0] = w[1] = w[3] = w[4] = -dt * h2;
      w[2] = 1 + 4 * dt * h2;
    });
    systems.push({ A, b: u0, features: Float64Array.of(dt) });
  }
  return {
    family: "heat", params: { grid: n, count, seed, dt: [lo, hi], modes: field.modes, alpha: field.alpha, tau: field.tau },
    systems, inputs, inputShape: [built, 1],
  };
}

/** The families by name, with their option keys (for callers that take a family's options among their own). */
const FAMILIES = {
  poisson: { build: poisson, keys: POISSON_KEYS },
  darcy: { build: darcy, keys: DARCY_KEYS },
  helmholtz: { build: helmholtz, keys: HELMHOLTZ_KEYS },
  "convection-diffusion": { build: convectionDiffusion, keys: CONVECTION_KEYS },
  heat: { build: heat, keys: HEAT_KEYS },
} as const satisfies Record<ProblemFamily, unknown>;

export const PROBLEM_FAMILIES = Object.keys(FAMILIES) as readonly ProblemFamily[];

/** Whether `v` names a family (a type guard for options read from outside). */
export function isProblemFamily(v: unknown): v is ProblemFamily {
  return typeof v === "string" && Object.hasOwn(FAMILIES, v);
}

/** A family's option keys. */
export function familyKeys(family: ProblemFamily): Readonly<Record<string, true>> {
  return FAMILIES[family].keys;
}

/**
 * Every system's features (what sorting needs), as problemSet(family, opts)
 * would give them, without building the systems: for planning a run whose
 * systems are built elsewhere, chunk by chunk.
 */
export function problemFeatures(family: ProblemFamily, opts: object): Float64Array[] {
  const sink: Float64Array[] = [];
  featureSink = sink;
  try {
    problemSet(family, opts);
  } finally {
    featureSink = undefined;
  }
  return sink;
}

/** The family named `family`, built from `opts` (which it validates); `only`: just those systems, in that order. */
export function problemSet(family: ProblemFamily, opts: object, only?: readonly number[]): ProblemSet {
  return FAMILIES[family].build(opts as never, only);
}

/** The families as functions: nl.problems, and `problems` for use without a context. */
export const problems = { poisson, darcy, helmholtz, convectionDiffusion, heat } as const;
export type Problems = typeof problems;
