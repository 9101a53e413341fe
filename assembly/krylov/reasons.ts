// Why a Krylov solve stopped: the codes every kernel (cg.ts, gmres.ts,
// gcrodr.ts) writes to its out block; src/krylov.ts names them in this order.
export const CONVERGED = 0, MAX_ITERATIONS = 1, BREAKDOWN = 2, INDEFINITE = 3, ABORTED = 4, STAGNATED = 5;

/**
 * A solve whose recursive residual (or GMRES's estimate) met the tolerance
 * but whose true residual ‖b − A·x‖ did not restarts from the true residual
 * at most this many times, then reports STAGNATED: the tolerance is below
 * what rounding lets the iteration reach.
 */
export const TRUE_RESIDUAL_RESTARTS = 3;
