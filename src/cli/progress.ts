// Progress of a long call on stderr: a bar redrawn in place on a terminal,
// nothing when stderr is a file or a pipe (so logs hold results only).
import type { Progress } from "../pool/pool.js";

const REDRAW_MS = 50;
const BAR_WIDTH = 24;

export interface ProgressLine<P = Progress> {
  /** For the call's onProgress; undefined off a terminal. */
  onProgress: ((p: P) => void) | undefined;
  /** Clears the line. */
  done(): void;
}

/**
 * `fraction` maps a report to how far along it is (0..1), or is omitted when
 * there is no way to tell; `describe` writes the figures after the bar.
 */
export function progressLine<P = Progress>(label: string, describe: (p: P) => string, fraction?: (p: P) => number): ProgressLine<P> {
  const stream = process.stderr;
  if (!stream.isTTY) return { onProgress: undefined, done() {} };
  let last = 0, drawn = false;
  return {
    onProgress(p) {
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      const f = fraction ? Math.min(1, Math.max(0, fraction(p))) : undefined;
      const bar = f === undefined || !Number.isFinite(f) ? "" : `[${"#".repeat(Math.round(f * BAR_WIDTH)).padEnd(BAR_WIDTH, ".")}] `;
      const text = `${label} ${bar}${describe(p)}`;
      stream.write(`\r${text.slice(0, Math.max(20, (stream.columns || 80) - 1))}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
    },
  };
}

/** How far a residual has come from its first report down to `goal`, on a log scale. */
export function residualFraction(goal: number): (p: Progress) => number {
  let first = NaN;
  return (p) => {
    if (Number.isNaN(first)) first = p.value;
    return Math.log(first / p.value) / Math.log(first / goal);
  };
}
