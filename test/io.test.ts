// Text readers against hostile input: Matrix Market (checked value for value
// against SciPy's mmread on files SciPy's mmwrite wrote) and CSV; then
// fast-check fuzzing of both with a time and memory bound per case.
import { describe, expect, it, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CsrMatrix, DenseMatrix, NumlaneError, readCsv, readMatrixMarket, readRegressionCsv, writeMatrixMarket } from "../dist/index.js";

const PY = "/usr/bin/python3";

/** The error `f` throws (fails the test if it returns). */
function thrown(f: () => unknown): NumlaneError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NumlaneError);
    return e as NumlaneError;
  }
  throw new Error("expected a NumlaneError, got a result");
}

const dense = (m: CsrMatrix | DenseMatrix) => (m instanceof CsrMatrix ? m.toDense() : m);
const MM = (kind: string) => `%%MatrixMarket matrix ${kind}\n`;

describe("readMatrixMarket reads what SciPy's mmwrite writes", () => {
  const dir = mkdtempSync(join(tmpdir(), "numlane-mm-"));
  let reference: Record<string, { shape: [number, number]; values: number[] }>;
  beforeAll(() => {
    // Each file's matrix as SciPy's mmread sees it (dense, row-major; repr
    // floats round-trip exactly, so values must match bit for bit).
    const script = String.raw`
import json, sys, numpy as np, scipy.sparse as sp, scipy.io as sio
d = sys.argv[1]; r = np.random.default_rng(7)
A = r.standard_normal((7, 7)); S = A + A.T; K = A - A.T
G = sp.coo_matrix((r.standard_normal(12), (r.integers(0, 9, 12), r.integers(0, 5, 12))), shape=(9, 5))
G = sp.coo_matrix((np.r_[G.data, 2.5], (np.r_[G.row, G.row[0]], np.r_[G.col, G.col[0]])), shape=G.shape)  # a duplicate: summed
Ssp = sp.coo_matrix(np.where(np.abs(S) > 0.8, S, 0)); Ksp = sp.coo_matrix(np.where(np.abs(K) > 0.8, K, 0))
I = np.where(r.random((6, 4)) < 0.5, r.integers(-2**40, 2**40, (6, 4)), 0)
files = {
  "coordinate-general": (G, {}),
  "coordinate-symmetric": (Ssp, {"symmetry": "symmetric"}),
  "coordinate-skew": (Ksp, {"symmetry": "skew-symmetric"}),
  "coordinate-integer": (sp.coo_matrix(I), {}),
  "coordinate-integer-symmetric": (sp.coo_matrix(np.array([[4, 0, -7], [0, 0, 2], [-7, 2, 9]])), {"symmetry": "symmetric"}),
  "coordinate-pattern": (sp.coo_matrix(I != 0), {"field": "pattern"}),
  "coordinate-empty": (sp.coo_matrix((3, 8)), {}),
  "array-general": (r.standard_normal((5, 3)) * 10.0 ** r.integers(-300, 300, (5, 3)), {}),
  "array-symmetric": (S, {"symmetry": "symmetric"}),
  "array-skew": (K, {"symmetry": "skew-symmetric"}),
  "array-integer": (I, {}),
  "array-tiny": (np.array([[5e-324, -1.7976931348623157e308]]), {}),
}
ref = {}
for name, (m, kw) in files.items():
  path = f"{d}/{name}.mtx"
  sio.mmwrite(path, m, comment=f"written by scipy {name}", **kw)
  back = sio.mmread(path)
  back = back.toarray() if sp.issparse(back) else np.asarray(back)
  ref[name] = {"shape": list(back.shape), "values": [float(v) for v in back.astype(np.float64).ravel()]}
print(json.dumps(ref))
`;
    reference = JSON.parse(execFileSync(PY, ["-c", script, dir], { encoding: "utf8" }));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it("every storage SciPy writes, value for value", () => {
    expect(Object.keys(reference).length).toBe(12);
    for (const [name, ref] of Object.entries(reference)) {
      const text = readFileSync(join(dir, `${name}.mtx`), "utf8");
      expect(text).toContain("%%MatrixMarket");
      const m = readMatrixMarket(text);
      expect(m instanceof CsrMatrix, name).toBe(name.startsWith("coordinate"));
      const d = dense(m);
      expect([d.rows, d.cols], name).toEqual(ref.shape);
      expect(Array.from(d.data), name).toEqual(ref.values);
    }
  });

  it("skew-symmetric arrays (strictly lower triangle, as SciPy writes them) fill both halves with opposite signs", () => {
    const d = dense(readMatrixMarket(readFileSync(join(dir, "array-skew.mtx"), "utf8")));
    for (let i = 0; i < 7; i++) {
      expect(d.get(i, i)).toBe(0);
      for (let j = 0; j < i; j++) expect(d.get(j, i)).toBe(-d.get(i, j));
    }
  });

  it("round-trips through writeMatrixMarket", () => {
    for (const name of Object.keys(reference)) {
      const m = readMatrixMarket(readFileSync(join(dir, `${name}.mtx`), "utf8"));
      const back = readMatrixMarket(writeMatrixMarket(m));
      expect(Array.from(dense(back).data), name).toEqual(Array.from(dense(m).data));
    }
  });
});

describe("readMatrixMarket refuses hostile and non-conforming text, naming the line", () => {
  // [what, text, code, message fragment]
  const cases: [string, string, string, RegExp][] = [
    ["2e9 × 2e9 header (60 bytes)", MM("coordinate real general") + "2000000000 2000000000 1\n1 1 1\n", "out-of-memory", /line 2: .*wasm/],
    ["2e9 × 2e9 dense", MM("array real general") + "2000000000 2000000000\n1\n", "out-of-memory", /line 2/],
    ["0 × 2^40 array", MM("array real general") + "0 1099511627776\n", "invalid-size", /line 2: cols "1099511627776"/],
    ["negative rows", MM("coordinate real general") + "-2 2 1\n1 1 1\n", "invalid-size", /line 2: rows "-2"/],
    ["fractional size", MM("array real general") + "2.5 2\n", "invalid-size", /line 2: rows "2.5"/],
    ["hex size", MM("coordinate real general") + "0x2 2 1\n1 1 1\n", "invalid-size", /line 2/],
    ["more entries than the text can hold", MM("coordinate real general") + "5 5 2000000000\n1 1 1\n", "invalid-value", /line 2: declares 2000000000 entries/],
    ["more array values than the text can hold", MM("array real general") + "10000 10000\n1\n", "invalid-value", /line 2: declares 100000000 values/],
    ["hex value", MM("coordinate real general") + "2 2 1\n1 1 0x10\n", "invalid-value", /line 3: "0x10" is not a decimal number/],
    ["1e400", MM("coordinate real general") + "2 2 1\n1 1 1e400\n", "invalid-value", /line 3: 1e400 is outside the range of float64/],
    ["Infinity", MM("array real general") + "1 1\nInfinity\n", "invalid-value", /line 3/],
    ["NaN", MM("array real general") + "1 1\nnan\n", "invalid-value", /line 3/],
    ["fractional integer field", MM("array integer general") + "1 1\n1.5\n", "invalid-value", /line 3: "1.5" is not a decimal integer/],
    ["row 0", MM("coordinate real general") + "2 2 1\n0 1 1\n", "invalid-value", /line 3: row "0"/],
    ["column past the end", MM("coordinate real general") + "2 2 1\n1 3 1\n", "invalid-value", /line 3: column "3" is not an integer in 1..2/],
    ["missing value", MM("coordinate real general") + "2 2 1\n1 1\n% padding\n", "invalid-value", /line 3: expected 3 fields/],
    ["extra field", MM("coordinate pattern general") + "2 2 1\n1 1 1\n", "invalid-value", /line 3: expected 2 fields/],
    ["too few entries", MM("coordinate real general") + "% c\n3 3 2\n1 1 1\n% padding\n", "invalid-value", /expected 2 entries, found 1/],
    ["too many entries", MM("coordinate real general") + "2 2 1\n1 1 1\n2 2 1\n", "invalid-value", /line 4: more entries than the 1 declared/],
    ["too many array values", MM("array real general") + "1 1\n1\n2\n", "invalid-value", /line 4: more values/],
    ["two values on an array line", MM("array real general") + "2 1\n1 2\n", "invalid-value", /line 3: expected one value per line/],
    ["skew-symmetric diagonal entry", MM("coordinate real skew-symmetric") + "2 2 1\n1 1 4\n", "invalid-value", /line 3: .*diagonal/],
    ["symmetric entry above the diagonal", MM("coordinate real symmetric") + "2 2 1\n1 2 4\n", "invalid-value", /line 3: .*above the diagonal/],
    ["non-square symmetric", MM("array real symmetric") + "2 3\n", "invalid-value", /line 2: .*square/],
    ["pattern array", MM("array pattern general") + "1 1\n1\n", "invalid-value", /line 1: pattern/],
    ["complex", MM("coordinate complex general") + "1 1 1\n1 1 1 0\n", "invalid-value", /line 1: complex matrices are not supported/],
    ["hermitian", MM("coordinate real hermitian") + "1 1 1\n1 1 1\n", "invalid-value", /line 1: hermitian matrices are not supported/],
    ["not Matrix Market", "hello\n", "invalid-value", /line 1: not a Matrix Market matrix/],
    ["empty text", "", "invalid-value", /line 1/],
    ["unknown format", MM("sparse real general") + "1 1 1\n", "invalid-value", /line 1: unknown format "sparse"/],
    ["missing size line", MM("coordinate real general") + "% only comments\n", "invalid-value", /size line is missing/],
    ["size line short", MM("coordinate real general") + "2 2\n", "invalid-value", /line 2: the size line/],
  ];
  for (const [what, text, code, message] of cases) {
    it(what, () => {
      const before = process.memoryUsage().rss, t0 = performance.now();
      const e = thrown(() => readMatrixMarket(text));
      expect(performance.now() - t0).toBeLessThan(1000); // "does not hang": refused without walking the declared size
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
      expect(e.code).toBe(code);
      expect(e.argument).toBe("text");
      expect(e.message).toMatch(message);
    });
  }

  it("a non-string is invalid-type", () => {
    expect(thrown(() => readMatrixMarket(42 as unknown as string)).code).toBe("invalid-type");
  });

  it("accepts what the format allows: CRLF, a BOM, blank lines, comments between entries, case, signs, exponents, empty shapes", () => {
    const m = readMatrixMarket("\uFEFF%%MatrixMarket Matrix Coordinate REAL General\r\n%c\r\n\r\n 2  3   2 \r\n1 3 -.5e1\r\n% between\r\n\r\n2 1 +7.\r\n") as CsrMatrix;
    expect(Array.from(m.toDense().data)).toEqual([0, 0, -5, 7, 0, 0]);
    const wide = readMatrixMarket(MM("array real general") + "0 2147483647\n") as DenseMatrix;
    expect([wide.rows, wide.cols, wide.data.length]).toEqual([0, 2147483647, 0]);
    expect(readMatrixMarket(MM("array real skew-symmetric") + "1 1\n").data).toEqual(new Float64Array([0]));
    expect(readMatrixMarket(MM("array real general") + "1 1\n1e-400\n").data).toEqual(new Float64Array([0])); // underflow rounds, as SciPy
  });
});

describe("readCsv / readRegressionCsv", () => {
  it("reads the shipped data set as NumPy does", () => {
    const text = readFileSync(new URL("../data/datasets/diabetes.csv", import.meta.url), "utf8");
    const ref = JSON.parse(execFileSync(PY, ["-c", "import numpy as np,json,sys; a=np.loadtxt(sys.argv[1],delimiter=',',skiprows=1); print(json.dumps([list(a.shape), [float(v) for v in a.ravel()]]))", new URL("../data/datasets/diabetes.csv", import.meta.url).pathname], { encoding: "utf8", maxBuffer: 1 << 26 }));
    const { header, data } = readCsv(text);
    expect(header[10]).toBe("target");
    expect([data.rows, data.cols]).toEqual(ref[0]);
    expect(Array.from(data.data)).toEqual(ref[1]);
    const r = readRegressionCsv(text);
    expect([r.A.rows, r.A.cols, r.b.length, r.target]).toEqual([442, 10, 442, "target"]);
    expect(r.b[441]).toBe(ref[1][442 * 11 - 1]);
  });

  it("CRLF, a BOM, blank lines, a trailing newline or none, quoted fields", () => {
    const a = readCsv('\uFEFF"x","y, in m","say ""z"""\r\n1,2,3\r\n\r\n"4",5e0,-6.\r\n');
    expect(a.header).toEqual(["x", "y, in m", 'say "z"']);
    expect(Array.from(a.data.data)).toEqual([1, 2, 3, 4, 5, -6]);
    expect(Array.from(readCsv("a,b\n1,2").data.data)).toEqual([1, 2]);
  });

  const cases: [string, string, string, RegExp][] = [
    ["empty", "", "invalid-value", /empty/],
    ["header only", "a,b\n", "invalid-value", /line 1: expected at least one data row/],
    ["no header (first row numeric)", "1,2\n3,4\n", "invalid-value", /line 1: .*header/],
    ["ragged row", "a,b\n1,2\n\n3\n", "invalid-shape", /line 4: has 1 fields, the header 2/],
    ["text value", "a,b\n1,2\n3,abc\n", "invalid-value", /line 3: column 2 \("b"\): "abc" is not a decimal number/],
    ["hex", "a,b\n0x10,2\n", "invalid-value", /line 2: column 1 \("a"\): "0x10"/],
    ["1e400", "a,b\n1,1e400\n", "invalid-value", /line 2: column 2 \("b"\): "1e400" is outside the range of float64/],
    ["NaN", "a,b\nNaN,1\n", "invalid-value", /line 2: column 1/],
    ["empty field", "a,b\n1,\n", "invalid-value", /line 2: column 2/],
    ["quote left open", 'a,b\n"1,2\n3"\n', "invalid-value", /line 2: a quoted field is not closed/],
    ["huge header, blank lines (no rows × cols allocation up front)", "c,".repeat(2e5) + "c" + "\n".repeat(2e5) + "x\n", "invalid-shape", /line 200001: has 1 fields/],
  ];
  for (const [what, text, code, message] of cases) {
    it(`refuses: ${what}`, () => {
      const before = process.memoryUsage().rss;
      const e = thrown(() => readCsv(text));
      expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
      expect(e.code).toBe(code);
      expect(e.argument).toBe("text");
      expect(e.message).toMatch(message);
    });
  }

  it("readRegressionCsv needs a feature column", () => {
    expect(thrown(() => readRegressionCsv("y\n1\n")).code).toBe("invalid-shape");
  });
});
