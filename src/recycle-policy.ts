// Whether deflating a recycled space pays in a CG sequence, judged on the
// first solves. Deflation saves iterations but each deflated iteration reads
// W and A·W (2k vectors) besides the iteration's own traffic, and every
// solve pays the Ritz update. On cheap operators (a 5-point stencil with
// Jacobi) that outweighs the iterations saved (figures: bench/results/krylov-notes.md).
//
// The judgement uses iteration counts and a memory-traffic model, never
// clocks, so a sequence's results stay bit-identical across thread counts,
// builds, runtimes and machine load.
import type { CsrMatrix } from "./matrix.js";

/** Deflated solves observed before judging (after the first, undeflated one). */
const TRIAL_SOLVES = 2;

/**
 * Cost of one PCG iteration in f64-sized memory reads per row: the SpMV
 * (value and index, 12 bytes a nonzero) and about ten vector sweeps; SSOR or
 * IC(0) add two triangular sweeps of about the same nonzeros.
 */
function iterationCost(A: CsrMatrix, factored: boolean): number {
  const perRow = A.nnz / A.rows;
  return 1.5 * perRow + 10 + (factored ? 1.5 * perRow + 4 : 0);
}

/** What solveSequence reports about recycling. */
export interface RecyclingVerdict {
  /** Whether the space was deflated through the end of the sequence. */
  used: boolean;
  /** Why recycling was dropped (the model's figures), when it was. */
  reason?: string;
}

export class RecyclingJudge {
  private firstIterations = -1;
  private readonly trial: number[] = [];
  private dropped: string | undefined;

  /** k, ℓ: the space's dimension and kept vectors; A: the first system's matrix (its density sets the cost model). */
  constructor(private readonly k: number, private readonly ell: number, private readonly A: CsrMatrix, private readonly factored: boolean) {}

  /** Whether the next solve should get the space (false once recycling was judged not to pay). */
  get recycling(): boolean {
    return this.dropped === undefined;
  }

  /** Records a solve made with the space (`deflated`: whether it was deflated, per result.recycling). */
  observe(iterations: number, deflated: boolean): void {
    if (this.dropped !== undefined) return;
    if (this.firstIterations < 0) { this.firstIterations = iterations; return; }
    if (!deflated) return;
    this.trial.push(iterations);
    if (this.trial.length < TRIAL_SOLVES) return;
    // Per system: plain ≈ i₁·c; deflated ≈ ī·(c + 2k) + the set-up and update: k SpMVs for A·W,
    // and reading the k + ℓ kept vectors twice and writing k new ones.
    const c = iterationCost(this.A, this.factored);
    const mean = this.trial.reduce((a, b) => a + b, 0) / this.trial.length;
    const plain = this.firstIterations * c;
    const update = this.k * 1.5 * (this.A.nnz / this.A.rows) + 2 * (this.k + this.ell) + this.k;
    const recycled = mean * (c + 2 * this.k) + update;
    if (recycled >= plain) {
      this.dropped = `deflating k = ${this.k} vectors costs ${(recycled / plain).toFixed(2)}× plain PCG per system by the memory-traffic model `
        + `(${mean.toFixed(0)} against ${this.firstIterations} iterations, ${(2 * this.k).toFixed(0)} extra vector reads per iteration on ${c.toFixed(0)}); `
        + `the rest of the sequence ran plain PCG`;
    }
  }

  get verdict(): RecyclingVerdict {
    return this.dropped === undefined ? { used: true } : { used: false, reason: this.dropped };
  }
}
