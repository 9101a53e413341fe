/** What kind of bad input a NumlaneError reports. */
export type NumlaneErrorCode =
  | "invalid-type"     // not the kind of value expected (e.g. a plain array where a Float64Array is needed)
  | "invalid-shape"    // lengths or dimensions that do not fit together
  | "invalid-value"    // NaN / Infinity where not allowed, out-of-range indices or options
  | "invalid-size"     // negative, non-integer or zero sizes where they are not allowed
  | "detached"         // an ArrayBuffer that was transferred away
  | "out-of-memory"    // the problem cannot fit in wasm memory
  | "unsupported"      // the runtime lacks a required feature (e.g. wasm SIMD)
  | "wasm-not-found"   // numlane's .wasm could not be fetched (not served beside the bundle?)
  | "closed"           // the context was closed
  | "worker-died"      // a pool worker died (crashed, out of memory, terminated) during the call; it is replaced
  | "kernel-failed";   // a kernel trapped: a bug in numlane, please report it

/** Bad input or an unusable environment, raised before any kernel runs. */
export class NumlaneError extends Error {
  readonly code: NumlaneErrorCode;
  /** The offending argument's name, e.g. "x" or "opts.rows". */
  readonly argument: string | undefined;
  constructor(code: NumlaneErrorCode, message: string, argument?: string) {
    super(argument ? `${argument}: ${message}` : message);
    this.name = "NumlaneError";
    this.code = code;
    this.argument = argument;
  }
}

/** The error a cancelled call rejects with: a DOMException named "AbortError". */
export function abortError(signal?: AbortSignal): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  return new DOMException("The operation was aborted.", "AbortError");
}
