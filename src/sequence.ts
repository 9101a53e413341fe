// Sequences of systems: the order to solve them in (SKR's similarity sort,
// made to scale) and Learning to Relax's bandit over SSOR's ω. Plain
// JavaScript arithmetic with seeded choices, so the same input gives the same
// order and the same ω on every runtime and thread count.
import { NumlaneError } from "./errors.js";

/** The sparse-matrix fields a signature reads. */
interface CsrLike { rows: number; cols: number; indptr: Int32Array; indices: Int32Array; data: Float64Array }

/** mulberry32: small, fast, and the same stream everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every system's `features` as the rows of one s × d matrix, or undefined when
 * no system has any. All or none must have them, all of one length, finite.
 */
export function featureRows(systems: readonly { features?: ArrayLike<number> }[]): { X: Float64Array; d: number } | undefined {
  if (systems.every((sys) => sys.features === undefined)) return undefined;
  let d = -1;
  let X = new Float64Array(0);
  systems.forEach((sys, i) => {
    const f = sys.features, at = `systems[${i}].features`;
    if (f === undefined) throw new NumlaneError("invalid-type", "missing: give every system features, or none", at);
    if (f === null || typeof f !== "object" || typeof (f as ArrayLike<number>).length !== "number") {
      throw new NumlaneError("invalid-type", "expected an array of numbers", at);
    }
    if (d < 0) {
      d = f.length;
      if (d === 0) throw new NumlaneError("invalid-size", "expected at least one feature", at);
      X = new Float64Array(systems.length * d);
    } else if (f.length !== d) {
      throw new NumlaneError("invalid-shape", `has ${f.length} entries; systems[0].features has ${d}`, at);
    }
    for (let j = 0; j < d; j++) {
      const v = f[j];
      if (typeof v !== "number" || v - v !== 0) throw new NumlaneError("invalid-value", `entry ${j} is ${String(v)}; finite numbers are required`, at);
      X[i * d + j] = v;
    }
  });
  return { X, d };
}

// A matrix signature: A's action on PROBES fixed ±1 vectors, count-sketched
// into SIGNATURE_LENGTH numbers (E‖(A_i − A_j)·g‖² = ‖A_i − A_j‖²_F for g of
// independent unit-variance entries). Only A: what recycling carries over
// is A's spectrum, and right-hand sides unrelated to A (random ones, say)
// would otherwise set the order.
const PROBES = 4, SIGNATURE_LENGTH = 64;

/** A hash of (i, salt) with good low and top bits. */
function hash(i: number, salt: number): number {
  let h = Math.imul(i ^ salt, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

/**
 * The probes' hashes, which depend on positions only, so one set serves every
 * matrix of a sequence: per column, its sign (±1) in each probe; per row and
 * probe, the signature slot it lands in and its sign there. Signs are
 * multiplied in, not branched on (a random branch per entry and probe cost
 * more than the sweep): v·(±1) is exactly ±v, so the sums are those of adding
 * ±v.
 */
interface Probes { columnSigns: Float64Array; rowSlots: Uint8Array; rowSigns: Float64Array }

function probesFor(rows: number, cols: number): Probes {
  const columnSigns = new Float64Array(cols * PROBES), rowSlots = new Uint8Array(rows * PROBES), rowSigns = new Float64Array(rows * PROBES);
  for (let j = 0; j < cols; j++) {
    const h = hash(j, 0x51ed27);
    for (let p = 0; p < PROBES; p++) columnSigns[j * PROBES + p] = (h >>> p) & 1 ? 1 : -1;
  }
  for (let t = 0; t < rows * PROBES; t++) {
    const h = hash(t, 0x2c1b3c6d);
    rowSlots[t] = h % SIGNATURE_LENGTH;
    rowSigns[t] = h & 0x80000000 ? -1 : 1;
  }
  return { columnSigns, rowSlots, rowSigns };
}

/** The signature of one matrix (one pass over its entries), written into `out`; PROBES = 4 lanes. */
function signatureOf(A: CsrLike, out: Float64Array, probes: Probes): void {
  out.fill(0);
  const { indptr, indices, data } = A, { columnSigns, rowSlots, rowSigns } = probes;
  for (let i = 0; i < A.rows; i++) {
    let y0 = 0, y1 = 0, y2 = 0, y3 = 0;
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const c = indices[k] * PROBES, v = data[k];
      y0 += v * columnSigns[c];
      y1 += v * columnSigns[c + 1];
      y2 += v * columnSigns[c + 2];
      y3 += v * columnSigns[c + 3];
    }
    const t = i * PROBES;
    out[rowSlots[t]] += y0 * rowSigns[t];
    out[rowSlots[t + 1]] += y1 * rowSigns[t + 1];
    out[rowSlots[t + 2]] += y2 * rowSigns[t + 2];
    out[rowSlots[t + 3]] += y3 * rowSigns[t + 3];
  }
}

/** Euclidean distance between rows a and b of X (d columns). */
function distance(X: Float64Array, d: number, a: number, b: number): number {
  // Four partial sums (a fixed association, so the same bits everywhere).
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
  const oa = a * d, ob = b * d;
  for (; j + 3 < d; j += 4) {
    const t0 = X[oa + j] - X[ob + j], t1 = X[oa + j + 1] - X[ob + j + 1];
    const t2 = X[oa + j + 2] - X[ob + j + 2], t3 = X[oa + j + 3] - X[ob + j + 3];
    s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
  }
  for (; j < d; j++) { const t = X[oa + j] - X[ob + j]; s0 += t * t; }
  return Math.sqrt((s0 + s1) + (s2 + s3));
}

/** Sum of the distances between consecutive rows of X in `order`. */
export function tourLength(X: Float64Array, d: number, order: ArrayLike<number>): number {
  let len = 0;
  for (let t = 1; t < order.length; t++) len += distance(X, d, order[t - 1], order[t]);
  return len;
}

// Candidate neighbours per point, from random-projection trees (leaves of at
// most LEAF points compared pairwise) refined by one round of
// neighbours-of-neighbours.
const NEIGHBOURS = 10, LEAF = 40, TREES = 4;
// 2-opt reverses at most this many positions at once (bounds a pass to O(s·this)).
const MAX_REVERSAL = 1000;
const TWO_OPT_PASSES = 4;

/**
 * A short path through the rows of X (s × d), as SKR's greedy nearest-neighbour
 * tour but in about O(s·log s·d) instead of O(s²·d): greedy nearest neighbour
 * over approximate neighbour lists (falling back to the nearest of a window
 * of a random-projection tree's leaf order), then 2-opt moves along the
 * neighbour lists. Starts from row 0; deterministic for a given seed.
 */
export function shortTour(X: Float64Array, s: number, d: number, seed = 0): Int32Array {
  if (s <= 2) return Int32Array.from({ length: s }, (_, i) => i);
  const random = seededRandom(seed ^ 0x5eed);
  const K = Math.min(NEIGHBOURS, s - 1);
  const nbr = new Int32Array(s * K).fill(-1), nd = new Float64Array(s * K).fill(Infinity);
  const offer = (p: number, q: number, dist: number) => {
    const o = p * K;
    if (!(dist < nd[o + K - 1])) return;
    for (let k = 0; k < K; k++) if (nbr[o + k] === q) return;
    let k = K - 1;
    while (k > 0 && (nd[o + k - 1] > dist || (nd[o + k - 1] === dist && nbr[o + k - 1] > q))) { nd[o + k] = nd[o + k - 1]; nbr[o + k] = nbr[o + k - 1]; k--; }
    nd[o + k] = dist; nbr[o + k] = q;
  };
  const pair = (p: number, q: number) => { const dist = distance(X, d, p, q); offer(p, q, dist); offer(q, p, dist); };
  let leafOrder = new Int32Array(0);
  for (let tree = 0; tree < TREES; tree++) {
    const idx = Int32Array.from({ length: s }, (_, i) => i);
    projectionTree(X, d, idx, random, (lo, hi) => {
      for (let a = lo; a < hi; a++) for (let b = a + 1; b < hi; b++) pair(idx[a], idx[b]);
    });
    if (tree === 0) leafOrder = idx;
  }
  // Neighbours of neighbours (over a snapshot, so the round's order does not matter).
  const snapshot = nbr.slice();
  for (let p = 0; p < s; p++) {
    for (let a = 0; a < K; a++) {
      const q = snapshot[p * K + a];
      if (q < 0) continue;
      for (let b = 0; b < K; b++) { const r = snapshot[q * K + b]; if (r >= 0 && r !== p) offer(p, r, distance(X, d, p, r)); }
    }
  }
  const tour = greedyOverNeighbours(X, s, d, K, nbr, leafOrder);
  twoOpt(X, s, d, K, nbr, nd, tour);
  return tour;
}

/**
 * Splits idx in place, recursively, at the median of its projections on the
 * line through two random points of each part; calls `leaf` on each final range.
 */
function projectionTree(X: Float64Array, d: number, idx: Int32Array, random: () => number, leaf: (lo: number, hi: number) => void): void {
  const key = new Float64Array(idx.length);
  const stack = [0, idx.length];
  while (stack.length) {
    const hi = stack.pop()!, lo = stack.pop()!;
    if (hi - lo <= LEAF) { leaf(lo, hi); continue; }
    const a = idx[lo + Math.floor(random() * (hi - lo))];
    let b = idx[lo + Math.floor(random() * (hi - lo))];
    if (b === a) b = idx[a === idx[lo] ? lo + 1 : lo];
    for (let t = lo; t < hi; t++) {
      const p = idx[t] * d;
      let v = 0;
      for (let j = 0; j < d; j++) v += X[p + j] * (X[a * d + j] - X[b * d + j]);
      key[t] = v;
    }
    const mid = (lo + hi) >> 1;
    selectNth(idx, key, lo, hi - 1, mid);
    stack.push(mid, hi, lo, mid);
  }
}

/** Orders idx[lo..hi] (with key alongside) so position k holds what sorting would put there, smaller before, larger after. */
function selectNth(idx: Int32Array, key: Float64Array, lo: number, hi: number, k: number): void {
  const less = (i: number, j: number) => key[i] < key[j] || (key[i] === key[j] && idx[i] < idx[j]);
  const swap = (i: number, j: number) => {
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
    const u = key[i]; key[i] = key[j]; key[j] = u;
  };
  while (hi > lo) {
    // Median of three as the pivot, moved to hi.
    const m = (lo + hi) >> 1;
    if (less(m, lo)) swap(m, lo);
    if (less(hi, lo)) swap(hi, lo);
    if (less(m, hi)) swap(m, hi);
    let store = lo;
    for (let t = lo; t < hi; t++) if (less(t, hi)) swap(t, store++);
    swap(store, hi);
    if (store === k) return;
    if (store < k) lo = store + 1; else hi = store - 1;
  }
}

/** Greedy nearest neighbour from row 0 over the neighbour lists; when all are used, the nearest unused point within a window of the leaf order. */
function greedyOverNeighbours(X: Float64Array, s: number, d: number, K: number, nbr: Int32Array, leafOrder: Int32Array): Int32Array {
  const WINDOW = 24;
  const where = new Int32Array(s);
  leafOrder.forEach((p, t) => { where[p] = t; });
  // Unused positions of the leaf order, found by path-compressed skip links.
  const right = Int32Array.from({ length: s + 1 }, (_, t) => t), left = Int32Array.from({ length: s + 1 }, (_, t) => t);
  const find = (link: Int32Array, t: number) => {
    let r = t;
    while (link[r] !== r) r = link[r];
    while (link[t] !== r) { const next = link[t]; link[t] = r; t = next; }
    return r;
  };
  // left is offset by one: position t is link t + 1, and 0 means none.
  const use = (p: number) => { const t = where[p]; right[t] = t + 1; left[t + 1] = t; };
  const used = new Uint8Array(s), tour = new Int32Array(s);
  let cur = 0;
  used[0] = 1; use(0);
  for (let n = 1; n < s; n++) {
    let next = -1;
    for (let k = 0; k < K; k++) { const c = nbr[cur * K + k]; if (c >= 0 && !used[c]) { next = c; break; } }
    if (next < 0) {
      let best = Infinity;
      const consider = (t: number) => {
        const q = leafOrder[t], dist = distance(X, d, cur, q);
        if (dist < best || (dist === best && q < next)) { best = dist; next = q; }
      };
      let t = where[cur];
      for (let w = 0; w < WINDOW; w++) { t = find(right, t); if (t >= s) break; consider(t); t++; }
      t = where[cur] + 1;
      for (let w = 0; w < WINDOW; w++) { t = find(left, t); if (t === 0) break; consider(t - 1); t--; }
    }
    tour[n] = next;
    used[next] = 1; use(next);
    cur = next;
  }
  return tour;
}

/**
 * 2-opt on a path from tour[0]: reversing tour[l..r] swaps edges (l−1, l),
 * (r, r+1) for (l−1, r), (l, r+1) (a missing end costs nothing). Tried for each point
 * and each listed neighbour nearer than its current neighbour on the path.
 */
function twoOpt(X: Float64Array, s: number, d: number, K: number, nbr: Int32Array, nd: Float64Array, tour: Int32Array): void {
  const pos = new Int32Array(s);
  tour.forEach((p, t) => { pos[p] = t; });
  const at = (t: number, u: number) => (t < 0 || t >= s || u < 0 || u >= s ? 0 : distance(X, d, tour[t], tour[u]));
  const tryReverse = (l: number, r: number): boolean => {
    // l ≥ 1: the path keeps starting at system 0.
    if (l < 1 || r - l < 1 || r - l > MAX_REVERSAL) return false;
    const gain = at(l - 1, l) + at(r, r + 1) - at(l - 1, r) - at(l, r + 1);
    if (!(gain > 1e-12 * (at(l - 1, l) + at(r, r + 1)))) return false;
    for (let i = l, j = r; i < j; i++, j--) { const t = tour[i]; tour[i] = tour[j]; tour[j] = t; }
    for (let t = l; t <= r; t++) pos[tour[t]] = t;
    return true;
  };
  for (let pass = 0; pass < TWO_OPT_PASSES; pass++) {
    let improved = false;
    for (let a = 0; a < s; a++) {
      for (let k = 0; k < K; k++) {
        const c = nbr[a * K + k];
        if (c < 0) break;
        const i = pos[a], j = pos[c], dac = nd[a * K + k];
        const succ = i + 1 < s ? at(i, i + 1) : 0, pred = i > 0 ? at(i - 1, i) : 0;
        if (dac >= succ && dac >= pred) break;
        let moved = false;
        if (dac < succ) moved = j > i + 1 ? tryReverse(i + 1, j) : j < i ? tryReverse(j + 1, i) : false;
        if (!moved && dac < pred) moved = j < i - 1 ? tryReverse(j, i - 1) : j > i ? tryReverse(i, j - 1) : false;
        improved ||= moved;
      }
    }
    if (!improved) break;
  }
}

// Learning to Relax (Khodak et al., 2024): SSOR's ω chosen per system by a
// bandit that sees only each solve's iteration count.

/** The ω arms: 10 points of (0, 2), where SSOR-preconditioned CG has its optimum for diffusion problems. */
export const OMEGA_GRID: readonly number[] = [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9];
// Tsallis-INF's learning rate is LEARNING_RATE/√t on costs scaled to [0, 1]
// by the most iterations seen: far above Zimmert & Seldin's 2/√t, which is
// made for thousands of rounds, not a sequence's hundred (tuned on Darcy
// sequences: bench/results/krylov-notes.md).
const LEARNING_RATE = 64;

/**
 * Tsallis-INF (α = 1/2; Zimmert & Seldin) over OMEGA_GRID, one learner per
 * context bin when systems carry a scalar `context` (the contextual variant:
 * contexts split into ⌊√s / 4⌋ bins of equal count, at least one, so systems
 * of similar context share what was learnt). Each arm's cumulative loss is
 * estimated as rounds × its mean cost so far rather than by importance
 * weighting: the costs of one ω barely vary across a family, and in a
 * hundred rounds the importance-weighted sums' variance made the learner
 * settle on whichever good arm it met first (bench/results/krylov-notes.md).
 * Deterministic for a given seed.
 */
export class RelaxationLearner {
  /** Per bin: iterations summed per arm, and plays per arm. */
  private readonly sums: Float64Array[];
  private readonly plays: Int32Array[];
  private readonly rounds: Int32Array;
  /** Per bin: whether the first sweep over the arms is over. */
  private readonly swept: Uint8Array;
  private readonly binOf: Int32Array;
  private readonly random: () => number;
  private worst = 0;
  private pending?: { bin: number; arm: number };

  /** `contexts`: one per system (caller's order), or undefined. */
  constructor(count: number, contexts: Float64Array | undefined, seed: number) {
    this.random = seededRandom(seed);
    this.binOf = new Int32Array(count);
    let bins = 1;
    if (contexts) {
      bins = Math.max(1, Math.floor(Math.sqrt(count) / 4));
      const byContext = Int32Array.from({ length: count }, (_, i) => i).sort((a, b) => contexts[a] - contexts[b] || a - b);
      byContext.forEach((i, rank) => { this.binOf[i] = Math.floor((rank * bins) / count); });
    }
    this.sums = Array.from({ length: bins }, () => new Float64Array(OMEGA_GRID.length));
    this.plays = Array.from({ length: bins }, () => new Int32Array(OMEGA_GRID.length));
    this.rounds = new Int32Array(bins);
    this.swept = new Uint8Array(bins);
  }

  /** The arm (index into OMEGA_GRID) for system i. */
  choose(i: number): number {
    const bin = this.binOf[i], round = this.rounds[bin], K = OMEGA_GRID.length;
    // First a sweep down from the largest ω, each arm once (as UCB starts), so
    // every arm has a mean; see observe for where it stops.
    let arm = K - 1 - round;
    if (this.swept[bin]) {
      // Cumulative loss estimates: round × each arm's mean cost (scaled to [0, 1]).
      const L = new Float64Array(K);
      for (let a = 0; a < K; a++) L[a] = (round * this.sums[bin][a]) / (this.plays[bin][a] * this.worst);
      const p = tsallisWeights(L, LEARNING_RATE / Math.sqrt(round));
      const u = this.random();
      let acc = p[0];
      arm = 0;
      while (arm < K - 1 && u >= acc) acc += p[++arm];
    }
    this.pending = { bin, arm };
    return arm;
  }

  /** What the last chosen arm cost. */
  observe(iterations: number): void {
    const { bin, arm } = this.pending!;
    this.pending = undefined;
    this.worst = Math.max(this.worst, iterations, 1);
    const sums = this.sums[bin], plays = this.plays[bin];
    sums[arm] += iterations;
    plays[arm]++;
    this.rounds[bin]++;
    if (this.swept[bin]) return;
    // Iterations grow away from the best ω, so the sweep stops at an arm
    // costing twice the best so far (else it spends a large share of a short
    // sequence on ω far below the best); the arms below it take its cost as
    // their estimate.
    let best = Infinity;
    for (let a = arm; a < sums.length; a++) best = Math.min(best, sums[a] / plays[a]);
    if (arm === 0 || iterations > 2 * best) {
      for (let a = 0; a < arm; a++) { sums[a] = iterations; plays[a] = 1; }
      this.swept[bin] = 1;
    }
  }
}

/** p_i = 4 / (η·(L_i − x))², x < min L found by Newton's method so Σ p = 1. */
function tsallisWeights(L: Float64Array, eta: number): Float64Array {
  const K = L.length, p = new Float64Array(K);
  let x = Math.min(...L) - 2 / eta;  // there p of the smallest is 1, so Σ p ≥ 1
  for (let it = 0; it < 100; it++) {
    let sum = 0, slope = 0;
    for (let i = 0; i < K; i++) {
      const w = 4 / (eta * (L[i] - x)) ** 2;
      sum += w;
      slope += eta * w * Math.sqrt(w);
    }
    const step = (sum - 1) / slope;
    x -= step;
    if (!(Math.abs(step) > 1e-15 * (1 + Math.abs(x)))) break;
  }
  let total = 0;
  for (let i = 0; i < K; i++) { p[i] = 4 / (eta * (L[i] - x)) ** 2; total += p[i]; }
  for (let i = 0; i < K; i++) p[i] /= total;
  return p;
}

/** Every system's scalar `context` (all or none), for the contextual learner. */
export function contextValues(systems: readonly { context?: number }[]): Float64Array | undefined {
  if (systems.every((sys) => sys.context === undefined)) return undefined;
  return Float64Array.from(systems, (sys, i) => {
    const c = sys.context;
    if (typeof c !== "number") throw new NumlaneError("invalid-type", c === undefined ? "missing: give every system a context, or none" : `expected a number, got ${typeof c}`, `systems[${i}].context`);
    if (c - c !== 0) throw new NumlaneError("invalid-value", `is ${c}; a finite number is required`, `systems[${i}].context`);
    return c;
  });
}

/** Matrix signatures (see signatureOf), as the rows of one matrix. */
export function signatureRows(mats: readonly CsrLike[]): { X: Float64Array; d: number } {
  const d = SIGNATURE_LENGTH, X = new Float64Array(mats.length * d);
  const probes = probesFor(mats.reduce((m, A) => Math.max(m, A.rows), 0), mats.reduce((m, A) => Math.max(m, A.cols), 0));
  mats.forEach((A, i) => signatureOf(A, X.subarray(i * d, (i + 1) * d), probes));
  return { X, d };
}

/** The solve order: a short path through the rows (features or signatures), from system 0. */
export function solveOrder(rows: { X: Float64Array; d: number }): number[] {
  const s = rows.X.length / rows.d;
  return Array.from(shortTour(rows.X, s, rows.d));
}
