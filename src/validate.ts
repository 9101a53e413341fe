// Argument checks shared by every public method. Each throws a NumlaneError
// naming the argument, before any kernel runs.
import { NumlaneError } from "./errors.js";

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

function checkAttached(name: string, v: ArrayBufferView): void {
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
