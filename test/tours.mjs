// Plain-JavaScript references for sequence ordering, shared by
// test/sequence.test.ts and bench/sequence-tools.mjs: point sets to sort,
// tour lengths, and SKR's exact greedy nearest-neighbour tour.

/** Gaussian (Box–Muller) or clustered (20 centres of spread 5, unit noise) points, s × d, from `random` (uniform in [0, 1)). */
export function points(s, d, kind, random) {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const centres = Array.from({ length: 20 }, () => Float64Array.from({ length: d }, () => 5 * gauss()));
  return Array.from({ length: s }, () => {
    const c = centres[Math.floor(random() * 20)];
    return Float64Array.from({ length: d }, (_, j) => (kind === "gaussian" ? 0 : c[j]) + gauss());
  });
}

/** Euclidean distance of two rows. */
export function dist(a, b) {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - b[j]) ** 2;
  return Math.sqrt(s);
}

/** Length of the path through X's rows in `order`. */
export function pathLength(X, order) {
  let s = 0;
  for (let t = 1; t < order.length; t++) s += dist(X[order[t - 1]], X[order[t]]);
  return s;
}

/** SKR's ordering: greedy nearest neighbour from point 0, exactly, O(s²). */
export function greedyTour(X) {
  const used = new Uint8Array(X.length), tour = [0];
  used[0] = 1;
  for (let n = 1; n < X.length; n++) {
    const cur = X[tour[n - 1]];
    let best = -1, bestD = Infinity;
    for (let q = 0; q < X.length; q++) if (!used[q]) { const dd = dist(cur, X[q]); if (dd < bestD) { bestD = dd; best = q; } }
    tour.push(best);
    used[best] = 1;
  }
  return tour;
}
