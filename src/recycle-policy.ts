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

/** What GMRES's preconditioner costs per step, in the units of the model below. */
export type GmresPreconditioning = "none" | "jacobi" | "two-level";

/**
 * Whether GCRO-DR's recycled space pays in a GMRES sequence. GCRO-DR(m, k)
 * saves steps, but each step also orthogonalises against the k vectors of
 * C, and each cycle renews U and C (O((m + k)·k·n)) and solves an m×m
 * harmonic Ritz problem. Restarted GMRES on its own may also stall (an
 * indefinite Helmholtz matrix), where recycling is what converges. So the
 * judge measures: the first system with the space, the second by plain
 * GMRES(m) capped at the step count past which it would cost more than the
 * first system's GCRO-DR solve (a plain solve that stops at the cap has lost,
 * and the system is finished by GCRO-DR from where it stopped), the third
 * with the space again; then the cheaper by the model runs to the end.
 * Iteration counts and sizes only, never clocks: the same verdict on every
 * thread count and runtime.
 */
export class GmresRecyclingJudge {
  private phase: "first" | "probe" | "trial" | "decided" = "first";
  private recycledFirst = 0;
  private plainIterations = 0;
  private dropped: string | undefined;
  private readonly plainStep: number;
  private readonly recycledStep: number;

  /** k, m: GCRO-DR(m, k); A: the first system's matrix. */
  constructor(private readonly k: number, private readonly m: number, A: CsrMatrix, preconditioning: GmresPreconditioning) {
    const n = A.rows, spmv = 1.5 * (A.nnz / n);
    const pre = preconditioning === "none" ? 0 : preconditioning === "jacobi" ? 2 : spmv + 4;
    // Blocked classical Gram–Schmidt reads each earlier vector twice a step: m + 1 a step over a cycle of m.
    this.plainStep = spmv + pre + (m + 1);
    // A cycle has m − k steps against k + j + 1 vectors, then renews U and C (three (m + k)·k passes:
    // the partials CᵀU and VᵀU and the two products) and solves the harmonic Ritz problem (~30 m³ flops, shared by the n rows).
    const steps = Math.max(1, m - k);
    this.recycledStep = spmv + pre + (m - k + 1) + 2 * k + (3 * (m + k) * k + (30 * m ** 3) / n) / steps;
  }

  /** How to solve the next system: with the space, or plain GMRES(m) capped at `cap` steps (the probe). */
  next(): { recycle: true } | { recycle: false; cap?: number } {
    if (this.phase === "probe") return { recycle: false, cap: Math.ceil((this.recycledFirst * this.recycledStep) / this.plainStep) };
    return this.dropped === undefined ? { recycle: true } : { recycle: false };
  }

  /** Records the solve next() asked for: its steps, and whether it converged. */
  observe(iterations: number, converged: boolean): void {
    switch (this.phase) {
      case "first":
        this.recycledFirst = iterations;
        this.phase = "probe";
        break;
      case "probe":
        // A plain solve that did not converge within the cap lost to recycling (its system is finished with the space).
        if (converged) { this.plainIterations = iterations; this.phase = "trial"; } else this.phase = "decided";
        break;
      case "trial": {
        const recycled = iterations * this.recycledStep, plain = this.plainIterations * this.plainStep;
        if (recycled >= plain) {
          this.dropped = `GCRO-DR(${this.m}, ${this.k}) cost ${(recycled / plain).toFixed(2)}× plain GMRES(${this.m}) by the work model `
            + `(${iterations} against ${this.plainIterations} steps, ${this.recycledStep.toFixed(0)} against ${this.plainStep.toFixed(0)} vector passes a step); `
            + `the rest of the sequence ran plain GMRES(${this.m})`;
        }
        this.phase = "decided";
        break;
      }
      default:
    }
  }

  get verdict(): RecyclingVerdict {
    return this.dropped === undefined ? { used: true } : { used: false, reason: this.dropped };
  }
}
