// Progress of a long call on stderr: a bar redrawn in place on a terminal;
// when stderr is a file or a pipe, a plain line now and then (--progress-every),
// so a batch log shows a long job is alive without control characters.
import type { Progress } from "../pool/pool.js";
import { numberOption, type OptionSpec, type Parsed } from "./args.js";

const REDRAW_MS = 50;
const BAR_WIDTH = 24;

/** The option of every command that reports progress. */
export const PROGRESS_OPTION: Record<string, OptionSpec> = {
  "progress-every": {
    type: "string", value: "S", default: "10",
    help: "when stderr is not a terminal, a plain progress line every S seconds, the first after S (0: none)",
  },
};

export interface ProgressLine<P = Progress> {
  /** For the call's onProgress; undefined when nothing is to be written. */
  onProgress: ((p: P) => void) | undefined;
  /** Clears the line. */
  done(): void;
}

/**
 * `fraction` maps a report to how far along it is (0..1), or is omitted when
 * there is no way to tell; `describe` writes the figures after the bar.
 */
export function progressLine<P = Progress>(args: Parsed, label: string, describe: (p: P) => string, fraction?: (p: P) => number): ProgressLine<P> {
  const stream = process.stderr;
  if (!stream.isTTY) return plainLines(stream, numberOption(args, "progress-every", { min: 0 })! * 1e3, label, describe, fraction);
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

/** Off a terminal: "label: 40% figures" lines, one per `everyMs` at most, none before the first `everyMs`. */
function plainLines<P>(stream: NodeJS.WriteStream, everyMs: number, label: string, describe: (p: P) => string, fraction?: (p: P) => number): ProgressLine<P> {
  if (everyMs === 0) return { onProgress: undefined, done() {} };
  let last = Date.now();
  return {
    onProgress(p) {
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      const f = fraction ? fraction(p) : NaN;
      const percent = Number.isFinite(f) ? `${Math.round(100 * Math.min(1, Math.max(0, f)))}% ` : "";
      stream.write(`${label}: ${percent}${describe(p)}\n`);
    },
    done() {},
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
