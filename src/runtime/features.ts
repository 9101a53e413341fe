// What the running JavaScript engine offers. Each probe validates a tiny
// module that uses the feature, so the answer is the engine's own.

// (module (func (result v128) v128.const i32x4 0 0 0 0))
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);
// (module (func (result v128) v128.const 0 ... f32x4.relaxed_madd with three zero vectors))
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

export interface Features {
  simd: boolean;
  relaxedSimd: boolean;
  /** SharedArrayBuffer exists and a shared WebAssembly.Memory can be made. */
  sharedMemory: boolean;
  /** Why shared memory is missing, when it is. */
  sharedMemoryReason?: string;
}

function validates(bytes: Uint8Array): boolean {
  try {
    return WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
}

export function detectFeatures(): Features {
  const simd = validates(SIMD_PROBE);
  const relaxedSimd = simd && validates(RELAXED_SIMD_PROBE);
  let sharedMemory = false;
  let sharedMemoryReason: string | undefined;
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer === "undefined") {
    sharedMemoryReason = g.crossOriginIsolated === false
      ? "SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)"
      : "SharedArrayBuffer is unavailable in this runtime";
  } else {
    try {
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      sharedMemory = true;
    } catch (e) {
      sharedMemoryReason = `shared WebAssembly.Memory cannot be created: ${(e as Error).message}`;
    }
  }
  return { simd, relaxedSimd, sharedMemory, sharedMemoryReason };
}

export type RuntimeName = "node" | "deno" | "bun" | "browser" | "workerd" | "edge-light" | "unknown";

export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno !== "undefined") return "deno";
  if (typeof g.Bun !== "undefined") return "bun";
  if (typeof g.EdgeRuntime !== "undefined") return "edge-light";
  const nav = g.navigator as { userAgent?: string } | undefined;
  if (nav?.userAgent === "Cloudflare-Workers") return "workerd";
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node) return "node";
  if (typeof g.window !== "undefined" || typeof g.importScripts === "function") return "browser";
  return "unknown";
}
