// Argument checks shared by every public method. Each throws a NumlaneError
// naming the argument, before any kernel runs.
import { NumlaneError } from "./errors.js";
import type { CallOptions } from "./engine.js";

export type FloatArray = Float32Array | Float64Array;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an Array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  return typeof v === "object" ? `a ${(v as object).constructor?.name ?? "object"}` : `${typeof v} ${String(v)}`;
}

export function isDetached(view: ArrayBufferView): boolean {
  // A view of a detached buffer reads as empty; a non-empty one is attached
  // (the common case, answered without touching view.buffer).
  if (view.byteLength !== 0) return false;
  const buf = view.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === "boolean") return buf.detached;
  if (buf.byteLength !== 0) return false;
  try {
    new Uint8Array(buf);
    return false;
  } catch {
    return true;
  }
}

export function checkAttached(name: string, v: ArrayBufferView): void {
  if (isDetached(v)) throw new NumlaneError("detached", "its ArrayBuffer is detached (was it transferred to a worker?)", name);
}

export function float64Array(name: string, v: unknown): Float64Array {
  if (!(v instanceof Float64Array)) throw new NumlaneError("invalid-type", `expected a Float64Array, got ${describe(v)}`, name);
  checkAttached(name, v);
  return v;
}

export function floatArray(name: string, v: unknown): FloatArray {
  if (!(v instanceof Float64Array) && !(v instanceof Float32Array)) {
    throw new NumlaneError("invalid-type", `expected a Float32Array or Float64Array, got ${describe(v)}`, name);
  }
  checkAttached(name, v);
  return v;
}

export function int32Array(name: string, v: unknown): Int32Array {
  if (!(v instanceof Int32Array)) throw new NumlaneError("invalid-type", `expected an Int32Array, got ${describe(v)}`, name);
  checkAttached(name, v);
  return v;
}

/** Throws unless every entry is finite. */
export function allFinite(name: string, v: ArrayLike<number>): void {
  // Typed arrays: x − x summed over four chains (0, or NaN once any x is NaN
  // or ±∞), the entry found only then; a compare and branch each cost twice that.
  if (v instanceof Float64Array || v instanceof Float32Array) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
    for (; i + 3 < v.length; i += 4) { s0 += v[i] - v[i]; s1 += v[i + 1] - v[i + 1]; s2 += v[i + 2] - v[i + 2]; s3 += v[i + 3] - v[i + 3]; }
    for (; i < v.length; i++) s0 += v[i] - v[i];
    if ((s0 + s1) + (s2 + s3) === 0) return;
  }
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x - x !== 0) throw new NumlaneError("invalid-value", `entry ${i} is ${x}; finite numbers are required`, name);
  }
}

export function finiteNumber(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new NumlaneError("invalid-value", `expected a finite number, got ${describe(v)}`, name);
  return v;
}

export function nonNegative(name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0) || v === Infinity) throw new NumlaneError("invalid-value", `expected a finite number ≥ 0, got ${describe(v)}`, name);
  return v;
}

export function positive(name: string, v: unknown): number {
  if (typeof v !== "number" || !(v > 0) || v === Infinity) throw new NumlaneError("invalid-value", `expected a finite number > 0, got ${describe(v)}`, name);
  return v;
}

export function integer(name: string, v: unknown, min: number, max = 2 ** 31 - 1): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new NumlaneError("invalid-size", `expected an integer, got ${describe(v)}`, name);
  if (v < min || v > max) throw new NumlaneError("invalid-size", `expected an integer in [${min}, ${max}], got ${v}`, name);
  return v;
}

/** Number of elements a strided view of `arr` holds: n given, or all that fit. */
export function stridedCount(name: string, arr: ArrayLike<number>, inc: number, n?: number): number {
  if (n === undefined) return arr.length === 0 ? 0 : Math.floor((arr.length - 1) / inc) + 1;
  if (n > 0 && (n - 1) * inc >= arr.length) {
    throw new NumlaneError("invalid-shape", `${n} elements with stride ${inc} need length ≥ ${(n - 1) * inc + 1}, got ${arr.length}`, name);
  }
  return n;
}

/** Throws unless `v` is a boolean (a truthy string is not a yes). */
export function boolean(name: string, v: unknown): boolean {
  if (typeof v !== "boolean") throw new NumlaneError("invalid-type", `expected true or false, got ${describe(v)}`, name);
  return v;
}

/** Throws unless `v` is an AbortSignal (duck-typed: signals from other realms and polyfills pass). */
export function abortSignal(name: string, v: unknown): AbortSignal {
  const s = v as { aborted?: unknown; addEventListener?: unknown } | null;
  if (s === null || typeof s !== "object" || typeof s.aborted !== "boolean" || typeof s.addEventListener !== "function") {
    throw new NumlaneError("invalid-type", `expected an AbortSignal, got ${describe(v)}`, name);
  }
  return v as AbortSignal;
}

/** Throws unless `v` is a function (a callback the pool will call). */
export function callback<F extends (...args: never[]) => unknown>(name: string, v: unknown): F {
  if (typeof v !== "function") throw new NumlaneError("invalid-type", `expected a function, got ${describe(v)}`, name);
  return v as F;
}

/**
 * Every key an options type may have, each mapped to true: written as an
 * object literal, TypeScript rejects a list that misses or adds a key.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** The keys every method's options share (CallOptions in engine.ts). */
const CALL_OPTION_KEYS: OptionKeys<CallOptions> = { signal: true, onProgress: true, threads: true };

/** The keys of an options type that extends CallOptions, from its own keys. */
export function callOptionKeys<T extends { [K in keyof CallOptions]?: unknown }>(own: OptionKeys<Omit<T, keyof CallOptions>>): OptionKeys<T> {
  return { ...own, ...CALL_OPTION_KEYS } as OptionKeys<T>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  // Object.prototype of this or another realm (a vm context, an iframe), or none.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Checks an options object before anything reads it: undefined is fine
 * (defaults); anything but a plain object, or a key `keys` does not list,
 * throws a NumlaneError naming `path`; signal and onProgress, where allowed
 * and given, must be an AbortSignal and a function. Each option is named
 * `${keyPrefix}key`: "opts.rtol", or bare "threads" for init (as its other errors).
 */
export function checkOptions<T>(path: string, opts: T | undefined, keys: OptionKeys<T>, keyPrefix = `${path}.`): T | undefined {
  if (opts === undefined) return undefined;
  if (!isPlainObject(opts)) throw new NumlaneError("invalid-type", `expected an options object, got ${describe(opts)}`, path);
  const valid = Object.keys(keys), o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!valid.includes(key)) throw new NumlaneError("invalid-value", `unknown option ${key}; ${suggest(key, valid)}`, keyPrefix + key);
    // No option takes null: refused rather than read as "the default" (leave the key out for that).
    if (o[key] === null) throw new NumlaneError("invalid-type", "null is not a value for any option; leave it out for the default", keyPrefix + key);
  }
  if ("signal" in keys && o.signal !== undefined) abortSignal(`${keyPrefix}signal`, o.signal);
  if ("onProgress" in keys && o.onProgress !== undefined) callback(`${keyPrefix}onProgress`, o.onProgress);
  return opts;
}

/** checkOptions for options a method cannot do without (e.g. lasso's { lambda }): undefined is refused too. */
export function requireOptions<T>(path: string, opts: T | undefined, keys: OptionKeys<T>): T {
  if (opts === undefined) throw new NumlaneError("invalid-type", `expected { ${Object.keys(keys).join(", ")} }, got undefined`, path);
  return checkOptions(path, opts, keys)!;
}

/** "did you mean …?" with the valid keys nearest to `key` (a case slip or a typo or two), else the list of them. */
export function suggest(key: string, valid: readonly string[]): string {
  const same = valid.find((k) => k.toLowerCase() === key.toLowerCase());
  if (same !== undefined) return `did you mean ${same}?`;
  // Up to a third of the key's letters wrong, at least one.
  const limit = Math.max(1, Math.floor(key.length / 3));
  let best = limit + 1, nearest: string[] = [];
  for (const k of valid) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < best) { best = d; nearest = [k]; } else if (d === best) nearest.push(k);
  }
  if (nearest.length) return `did you mean ${nearest.join(" or ")}?`;
  return `valid options are ${valid.join(", ")}`;
}

/** Levenshtein distance (insertions, deletions, substitutions), one row at a time. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
