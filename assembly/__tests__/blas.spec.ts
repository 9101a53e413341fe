// Kernel specs for level-1/2 BLAS and CSR SpMV against plain scalar loops,
// run single-threaded (tid 0 of 1) on memory from the test runtime's heap.
// The implementations themselves (the module's exports of these names are the
// generated entries, which read a parameter block).
import { dot_f64, nrm2_f64, axpy_f64, scal_f64, copy_f64 } from "../blas/level1";
import { gemv_rows_f64, gemv_cols_f64 } from "../blas/level2";
import { spmv_csr_f64 } from "../blas/sparse";
import { CHUNK } from "../core/chunks";
import { TEAM_BYTES } from "../core/team";

const team = heap.alloc(TEAM_BYTES);
memory.fill(team, 0, TEAM_BYTES);

function f64s(n: i32, seed: f64): usize {
  const p = heap.alloc(max(8, n << 3));
  for (let i = 0; i < n; i++) store<f64>(p + (<usize>i << 3), Math.sin(seed * <f64>(i + 1)) * 3.0);
  return p;
}
const at = (p: usize, i: i32): f64 => load<f64>(p + (<usize>i << 3));
const partials = (n: i32): usize => heap.alloc(max(16, ((n + CHUNK - 1) / CHUNK) << 4));
const close = (a: f64, b: f64, scale: f64): bool => Math.abs(a - b) <= 1e-13 * scale;

const SIZES: i32[] = [0, 1, 2, 3, 15, 16, 17, 1000, CHUNK - 1, CHUNK + 1, 100003];

describe("dot_f64", () => {
  it("matches a scalar loop at every size, contiguous and strided", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      for (let inc = 1; inc <= 3; inc += 2) {
        const x = f64s(n * inc, 0.37), y = f64s(n * inc, 1.91), out = heap.alloc(8);
        dot_f64(x, inc, y, inc, n, partials(n), out, team, 0, 1);
        let ref: f64 = 0, mag: f64 = 0;
        for (let i = 0; i < n; i++) { ref += at(x, i * inc) * at(y, i * inc); mag += Math.abs(at(x, i * inc) * at(y, i * inc)); }
        expect(close(load<f64>(out), ref, mag + 1)).toBe(true, `n=${n} inc=${inc}`);
      }
    }
  });
});

describe("nrm2_f64", () => {
  it("matches sqrt of the sum of squares", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = f64s(n, 0.7), out = heap.alloc(8);
      nrm2_f64(x, 1, n, partials(n), out, team, 0, 1);
      let ss: f64 = 0;
      for (let i = 0; i < n; i++) ss += at(x, i) * at(x, i);
      expect(close(load<f64>(out), Math.sqrt(ss), Math.sqrt(ss) + 1)).toBe(true, `n=${n}`);
    }
  });
  it("neither overflows nor underflows", () => {
    const x = heap.alloc(24), out = heap.alloc(8);
    store<f64>(x, 3e300); store<f64>(x + 8, 4e300); store<f64>(x + 16, 0);
    nrm2_f64(x, 1, 3, partials(3), out, team, 0, 1);
    expect(Math.abs(load<f64>(out) / 5e300 - 1)).toBeLessThan(1e-15);
    store<f64>(x, 3e-300); store<f64>(x + 8, 4e-300);
    nrm2_f64(x, 1, 3, partials(3), out, team, 0, 1);
    expect(Math.abs(load<f64>(out) / 5e-300 - 1)).toBeLessThan(1e-15);
    store<f64>(x + 16, NaN);
    nrm2_f64(x, 1, 3, partials(3), out, team, 0, 1);
    expect(isNaN(load<f64>(out))).toBe(true);
  });
});

describe("axpy / scal / copy", () => {
  it("update exactly like scalar code", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = f64s(n, 0.3), y = f64s(n, 0.9), out = heap.alloc(max(8, n << 3));
      let wrong = 0;
      axpy_f64(-1.5, x, 1, y, 1, out, 1, n, team, 0, 1);
      for (let i = 0; i < n; i++) if (at(out, i) != -1.5 * at(x, i) + at(y, i)) wrong++;
      scal_f64(0.25, x, 1, out, 1, n, team, 0, 1);
      for (let i = 0; i < n; i++) if (at(out, i) != 0.25 * at(x, i)) wrong++;
      copy_f64(y, 1, out, 1, n, team, 0, 1);
      for (let i = 0; i < n; i++) if (at(out, i) != at(y, i)) wrong++;
      expect(wrong).toBe(0, `n=${n}`);
    }
  });
});

describe("gemv", () => {
  it("rows and cols shapes agree with scalar loops", () => {
    const m = 37, n = 23;
    const a = f64s(m * n, 0.11), x = f64s(n, 0.5), xt = f64s(m, 0.8), y = heap.alloc(m << 3), yt = heap.alloc(n << 3);
    gemv_rows_f64(a, n, x, y, m, n, 2.0, 0.0, team, 0, 1);
    for (let i = 0; i < m; i++) {
      let s: f64 = 0;
      for (let j = 0; j < n; j++) s += at(a, i * n + j) * at(x, j);
      expect(close(at(y, i), 2 * s, 100)).toBe(true);
    }
    // Aᵀ·xt with A row-major: n outputs, m contiguous lines of length n.
    gemv_cols_f64(a, n, xt, yt, n, m, 1.0, 0.0, team, 0, 1);
    for (let j = 0; j < n; j++) {
      let s: f64 = 0;
      for (let i = 0; i < m; i++) s += at(a, i * n + j) * at(xt, i);
      expect(close(at(yt, j), s, 100)).toBe(true);
    }
  });
});

describe("spmv_csr_f64", () => {
  it("multiplies a small CSR matrix", () => {
    // [[1, 0, 2], [0, 0, 0], [3, 4, 5]]
    const indptr = heap.alloc(16), indices = heap.alloc(20), data = heap.alloc(40);
    const ip: i32[] = [0, 2, 2, 5], ix: i32[] = [0, 2, 0, 1, 2], dv: f64[] = [1, 2, 3, 4, 5];
    for (let i = 0; i < 4; i++) store<i32>(indptr + (<usize>i << 2), ip[i]);
    for (let k = 0; k < 5; k++) { store<i32>(indices + (<usize>k << 2), ix[k]); store<f64>(data + (<usize>k << 3), dv[k]); }
    const x = heap.alloc(24), y = heap.alloc(24);
    store<f64>(x, 1); store<f64>(x + 8, 10); store<f64>(x + 16, 100);
    spmv_csr_f64(indptr, indices, data, 3, x, y, 1.0, 0.0, team, 0, 1);
    expect(at(y, 0)).toBe(201);
    expect(at(y, 1)).toBe(0);
    expect(at(y, 2)).toBe(543);
  });
});
