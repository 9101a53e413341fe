// The host's heap: an allocator over wasm memory, driven from JavaScript only
// (kernels never allocate). Blocks are 64-byte aligned so SIMD loads and
// threads' cache lines line up. Memory grows geometrically when a request does
// not fit; typed views are re-created after growth.
import { NumlaneError, abortError } from "../errors.js";
import { isDetached } from "../validate.js";

const ALIGN = 64;
const PAGE = 65536;
/** Wasm memory's page limit: 2 GiB, as declared by the wasm (asconfig.json). */
export const MAXIMUM_PAGES = 32768;
/** The most bytes wasm memory can hold; readers refuse matrices that could never fit. */
export const MAXIMUM_BYTES = MAXIMUM_PAGES * PAGE;

/**
 * Inputs are copied into wasm memory in slices of this many bytes, with a turn
 * of the event loop between slices, when a call copies more than one slice:
 * an abort is then heard within one slice instead of after the whole copy
 * (figures: bench/results/host-notes.md).
 */
export const COPY_SLICE = 32 << 20;

/** A turn of the event loop, so an abort can be heard; then rejects with an AbortError if it was. */
export async function yieldForAbort(signal?: AbortSignal): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (signal?.aborted) throw abortError(signal);
}

/** Room reserved beyond a call's stated need: its allocations' rounding to ALIGN. */
const RESERVE_SLACK = 64 * ALIGN;

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

interface Block { start: number; end: number }

/** The typed-array constructors alloc() takes. */
export interface TypedArrayType<T> { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number }

export class Heap {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  /** Free blocks, sorted by address, never adjacent (they are merged). */
  private readonly freeBlocks: Block[];
  private readonly sizes = new Map<number, number>();
  private inUse = 0;
  /** Every ArrayBuffer / SharedArrayBuffer that has backed this memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** The memory's current buffer (the one the views below are over). */
  private buffer!: ArrayBufferLike;
  u8!: Uint8Array;
  i32!: Int32Array;
  f32!: Float32Array;
  f64!: Float64Array;

  constructor(memory: WebAssembly.Memory, base: number, maxPages: number) {
    this.memory = memory;
    this.maxBytes = maxPages * PAGE;
    this.refreshViews();
    const start = alignUp(base, ALIGN);
    this.freeBlocks = [{ start, end: memory.buffer.byteLength }];
  }

  /** Re-creates the typed views; needed after memory grows. */
  refreshViews(): void {
    const buf = this.memory.buffer;
    this.buffer = buf;
    this.buffers.add(buf);
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  /**
   * True when `view` lives in this heap's memory (so no copy is needed). A
   * view reaching into freed memory (an alloc() array used after free()) is
   * a NumlaneError: read or written in place, it would touch whatever is
   * allocated there next. (Once its memory is handed out again, a stale
   * sub-array cannot be told from a live one here; free() still refuses it.)
   */
  owns(view: ArrayBufferView): boolean {
    const buf = view.buffer;
    if (buf !== this.buffer && !this.buffers.has(buf)) return false;
    if (view.byteLength > 0 && this.overlapsFree(view.byteOffset, view.byteOffset + view.byteLength)) {
      throw new NumlaneError("invalid-value", "an array in numlane's memory that was freed (nl.free) was passed in; allocate a new one");
    }
    return true;
  }

  /** Whether [start, end) overlaps a free block (binary search: blocks are sorted and disjoint). */
  private overlapsFree(start: number, end: number): boolean {
    const blocks = this.freeBlocks;
    let lo = 0, hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid].end <= start) lo = mid + 1; else hi = mid;
    }
    return lo < blocks.length && blocks[lo].start < end;
  }

  /**
   * Arrays handed out by allocView, each to its block's address. Only these
   * exact objects can be freed: a sub-array, a copy, an array already freed
   * (whose memory may now belong to another allocation) or another heap's
   * is refused instead of freeing someone else's block.
   */
  private readonly views = new WeakMap<object, number>();

  /** A typed array of `length` elements over a fresh block of this memory. */
  allocView<T extends Float64Array | Float32Array | Int32Array>(type: TypedArrayType<T>, length: number): T {
    const ptr = this.alloc(length * type.BYTES_PER_ELEMENT);
    const view = new type(this.memory.buffer, ptr, length);
    this.views.set(view, ptr);
    return view;
  }

  /** Frees an array from allocView; anything else is a NumlaneError, and nothing is freed. */
  freeView(view: unknown): void {
    const ptr = typeof view === "object" && view !== null ? this.views.get(view) : undefined;
    if (ptr === undefined) {
      throw new NumlaneError("invalid-value", "is not a live array from this context's alloc() (already freed, a sub-array or copy of one, or another context's)", "view");
    }
    this.views.delete(view as object);
    this.free(ptr);
  }

  /** Whether the memory is shared (growing it then detaches no views). */
  get shared(): boolean {
    return typeof SharedArrayBuffer !== "undefined" && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /**
   * Grows the memory, if needed, so that its free tail alone holds `bytes`:
   * then allocations of that many bytes in all grow nothing. Best effort: a
   * memory that cannot grow is left as it is (the allocation will say so).
   */
  reserve(bytes: number): void {
    const end = this.memory.buffer.byteLength;
    const last = this.freeBlocks[this.freeBlocks.length - 1];
    const tailFree = last && last.end === end ? last.end - last.start : 0;
    if (tailFree >= bytes) return;
    try {
      this.grow(bytes);
    } catch { /* the call's own allocation reports it */ }
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  /** Allocates `bytes` (rounded up to 64) and returns the address. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1), ALIGN);
    let i = this.freeBlocks.findIndex((b) => b.end - b.start >= size);
    if (i < 0) {
      this.grow(size);
      i = this.freeBlocks.findIndex((b) => b.end - b.start >= size);
    }
    const block = this.freeBlocks[i];
    const ptr = block.start;
    block.start += size;
    if (block.start === block.end) this.freeBlocks.splice(i, 1);
    this.sizes.set(ptr, size);
    this.inUse += size;
    return ptr;
  }

  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new Error(`numlane heap: free of unknown address ${ptr}`);
    this.sizes.delete(ptr);
    this.inUse -= size;
    const blocks = this.freeBlocks;
    let lo = 0, hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid].start < ptr) lo = mid + 1; else hi = mid;
    }
    const prev = blocks[lo - 1], next = blocks[lo];
    const end = ptr + size;
    if (prev && prev.end === ptr) {
      prev.end = end;
      if (next && next.start === end) { prev.end = next.end; blocks.splice(lo, 1); }
    } else if (next && next.start === end) {
      next.start = ptr;
    } else {
      blocks.splice(lo, 0, { start: ptr, end });
    }
  }

  /**
   * A region of at least `bytes`, the same one for every caller: for
   * synchronous one-thread calls, which are done with it before they return
   * (so small calls allocate nothing). Grown on demand, never given back.
   */
  lean(bytes: number): number {
    if (bytes > this.leanBytes) {
      if (this.leanBytes) this.free(this.leanPtr);
      this.leanBytes = 0;
      const size = Math.max(bytes, 64 * 1024);
      this.leanPtr = this.alloc(size);
      this.leanBytes = size;
    }
    return this.leanPtr;
  }

  private leanPtr = 0;
  private leanBytes = 0;

  private grow(size: number): void {
    const oldEnd = this.memory.buffer.byteLength;
    const last = this.freeBlocks[this.freeBlocks.length - 1];
    const tailFree = last && last.end === oldEnd ? last.end - last.start : 0;
    const need = size - tailFree;
    // Grow by at least half the current size so repeated growth stays cheap.
    const wanted = Math.max(need, oldEnd >> 1);
    let pages = Math.ceil(wanted / PAGE);
    const maxPages = this.maxBytes / PAGE - oldEnd / PAGE;
    if (Math.ceil(need / PAGE) > maxPages) {
      throw new NumlaneError(
        "out-of-memory",
        `the problem needs ${need + oldEnd} bytes of wasm memory, more than the ${this.maxBytes}-byte limit`,
      );
    }
    pages = Math.min(pages, maxPages);
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new NumlaneError("out-of-memory", `wasm memory could not grow by ${pages} pages: ${(e as Error).message}`);
    }
    const newEnd = this.memory.buffer.byteLength;
    if (last && last.end === oldEnd) last.end = newEnd;
    else this.freeBlocks.push({ start: oldEnd, end: newEnd });
    this.refreshViews();
  }
}

/**
 * Allocations for one call, freed together when the call ends: inputs are
 * copied in with one memcpy each (or used in place when they already live in
 * the heap), outputs copied out with one memcpy.
 */
export class CallScope {
  private readonly ptrs: number[] = [];
  /**
   * `inputs` and `extraBytes` (outputs, scratch) are what the call will need:
   * checked up front, so a problem too big for wasm memory fails before
   * anything is copied or grown.
   */
  /** Where each input already in wasm memory lives, read before anything could grow the memory. */
  private readonly resident = new Map<ArrayBufferView, { at: number; length: number }>();

  constructor(readonly heap: Heap, inputs: ArrayBufferView[] = [], extraBytes = 0) {
    let need = extraBytes;
    for (const v of inputs) {
      if (heap.owns(v)) this.resident.set(v, { at: v.byteOffset, length: (v as Float64Array).length });
      else need += v.byteLength + ALIGN;
    }
    if (heap.bytesInUse + need > heap.maxBytes) {
      throw new NumlaneError("out-of-memory", `the call needs ${need} bytes of wasm memory; the limit is ${heap.maxBytes} (${heap.bytesInUse} in use)`);
    }
    // Growing unshared memory detaches every view of it, the caller's nl.alloc
    // arrays among them: grow once now, for the whole call, so none detaches
    // after the call has begun reading them (their addresses are kept above).
    if (this.resident.size > 0 && !heap.shared) heap.reserve(need + RESERVE_SLACK);
  }

  /**
   * Copies `inputs` not yet in wasm memory in now, if together they exceed a
   * COPY_SLICE, slice by slice, yielding between slices and rejecting with an
   * AbortError once `signal` fires; input() then gives their addresses.
   * Smaller copies are left to input() (synchronous, no yield).
   */
  async copyIn(inputs: ArrayBufferView[], signal?: AbortSignal): Promise<void> {
    const pending = inputs.filter((v, i) => v.byteLength > 0 && !this.heap.owns(v) && !this.resident.has(v) && inputs.indexOf(v) === i);
    if (pending.reduce((sum, v) => sum + v.byteLength, 0) <= COPY_SLICE) return;
    let sinceYield = 0;
    for (const v of pending) {
      const p = this.alloc(v.byteLength);
      const src = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      for (let off = 0; off < src.length; off += COPY_SLICE) {
        if (sinceYield >= COPY_SLICE) {
          await yieldForAbort(signal);
          sinceYield = 0;
        }
        const end = Math.min(src.length, off + COPY_SLICE);
        this.heap.u8.set(src.subarray(off, end), p + off);
        sinceYield += end - off;
      }
      this.resident.set(v, { at: p, length: (v as Float64Array).length });
    }
  }

  /**
   * `view` as the call can read it now: an input copied in by copyIn (what
   * the kernel will read), or one that lives in wasm memory and was detached
   * by the growth above, re-made over the grown memory.
   */
  live<T extends Float64Array | Float32Array | Int32Array>(view: T): T {
    const where = this.resident.get(view);
    // A view of wasm memory that is still attached is the data itself; else the call's copy is.
    if (where === undefined || (this.heap.owns(view) && !isDetached(view))) return view;
    const type = view.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => T;
    return new type(this.heap.u8.buffer, where.at, where.length);
  }

  alloc(bytes: number): number {
    const p = this.heap.alloc(bytes);
    this.ptrs.push(p);
    return p;
  }

  /** Address of `view`'s data in wasm memory, copying it in unless it lives there already. */
  input(view: Float64Array | Float32Array | Int32Array): number {
    // Checked when the call began, but a buffer transferred while the call
    // waited for its turn reads as empty: the kernel would get no data.
    const where = this.resident.get(view);
    if (where !== undefined) return where.at;
    if (view.byteLength === 0 && isDetached(view)) {
      throw new NumlaneError("detached", "an input's ArrayBuffer was detached (transferred?) before the call could copy it in");
    }
    if (this.heap.owns(view)) return view.byteOffset;
    const p = this.alloc(view.byteLength);
    this.heap.u8.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), p);
    return p;
  }

  free(): void {
    for (const p of this.ptrs) this.heap.free(p);
    this.ptrs.length = 0;
  }
}
