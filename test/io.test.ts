// Text readers against hostile input: Matrix Market (checked value for value
// against SciPy's mmread on files SciPy's mmwrite wrote) and CSV; then
// fast-check fuzzing of both with a time and memory bound per case.
import { describe, expect, it, beforeAll } from "vitest";
import fc from "fast-check";
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
    ["complex", MM("coordinate complex general") + "1 1 1\n1 1 1 0\n", "unsupported", /line 1: complex matrices are not supported/],
    ["hermitian", MM("coordinate real hermitian") + "1 1 1\n1 1 1\n", "unsupported", /line 1: hermitian matrices are not supported/],
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

// ---- Fuzzing ---------------------------------------------------------------
// Invariant per case: the reader either throws a NumlaneError about `text` or
// returns a valid matrix of finite values that round-trips through
// writeMatrixMarket; within a time bound ("does not hang") and a memory bound
// proportional to the text (plus the index array a declared sparse shape
// needs). `npm test`: fixed seed, FUZZ_RUNS cases per property; `npm run
// test:long` sets NUMLANE_FUZZ_RUNS (and NUMLANE_FUZZ_SEED may vary the seed).
const FUZZ_RUNS = Number(process.env.NUMLANE_FUZZ_RUNS ?? 300);
const FUZZ_SEED = Number(process.env.NUMLANE_FUZZ_SEED ?? 20261205);
const CASE_MS = 2000;
const fuzz = { seed: FUZZ_SEED, numRuns: FUZZ_RUNS };
const fuzzTimeout = Math.max(60_000, FUZZ_RUNS * 200);

/** Runs `read` on `text` under the time and memory bounds; the result or the NumlaneError. */
function bounded<T>(read: (t: string) => T, text: string, extraBytes = (_: T) => 0): T | NumlaneError {
  const before = process.memoryUsage(), t0 = performance.now();
  let out: T | NumlaneError;
  try {
    out = read(text);
  } catch (e) {
    if (!(e instanceof NumlaneError)) throw new Error(`not a NumlaneError: ${String(e)} for ${JSON.stringify(text.slice(0, 200))}`);
    expect(e.argument === "text" || e.argument === undefined).toBe(true);
    out = e;
  }
  const ms = performance.now() - t0, after = process.memoryUsage();
  if (ms > CASE_MS) throw new Error(`took ${ms.toFixed(0)} ms on ${JSON.stringify(text.slice(0, 200))}`);
  const grown = after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed;
  const allowed = 64 * 2 ** 20 + 64 * text.length + (out instanceof NumlaneError ? 0 : extraBytes(out));
  if (grown > allowed) throw new Error(`grew ${grown} bytes (allowed ${allowed}) on ${JSON.stringify(text.slice(0, 200))}`);
  return out;
}

function checkMatrixMarket(text: string): void {
  const m = bounded(readMatrixMarket, text, (r) => (r instanceof CsrMatrix ? 4 * (r.rows + 1) : 0));
  if (m instanceof NumlaneError) {
    expect(m.code).toMatch(/^(invalid-value|invalid-size|out-of-memory|unsupported)$/);
    expect(m.message).toMatch(/line \d+/);
    return;
  }
  for (const v of m.data) expect(Number.isFinite(v)).toBe(true);
  const back = readMatrixMarket(writeMatrixMarket(m));
  expect(back.constructor).toBe(m.constructor);
  expect([back.rows, back.cols]).toEqual([m.rows, m.cols]);
  if (m instanceof CsrMatrix) {
    const b = back as CsrMatrix;
    expect(Array.from(b.indptr)).toEqual(Array.from(m.indptr));
    expect(Array.from(b.indices)).toEqual(Array.from(m.indices));
  }
  expect(Array.from(back.data)).toEqual(Array.from(m.data));
}

function checkCsv(text: string): void {
  const r = bounded(readCsv, text);
  if (r instanceof NumlaneError) {
    expect(r.code).toMatch(/^(invalid-value|invalid-shape)$/);
    return;
  }
  const { header, data } = r;
  expect(header.length).toBe(data.cols);
  expect(data.rows).toBeGreaterThan(0);
  for (const v of data.data) expect(Number.isFinite(v)).toBe(true);
  // Written back with plain names, it reads back the same numbers.
  const lines = [header.map((_, c) => `c${c}`).join(",")];
  const str = (v: number) => (Object.is(v, -0) ? "-0" : String(v));
  for (let i = 0; i < data.rows; i++) lines.push(Array.from(data.data.subarray(i * data.cols, (i + 1) * data.cols), str).join(","));
  expect(Array.from(readCsv(lines.join("\n")).data.data)).toEqual(Array.from(data.data));
}

// Pieces hostile text is made of.
const HOSTILE_TOKENS = [
  "-1", "0", "1", "0x10", "1e400", "-1e400", "1e-400", "2147483647", "2147483648", "4294967297", "99999999999999999999", "2e9",
  "NaN", "nan", "Infinity", "-inf", "1_0", "1,5", ".", "e5", "+", "--1", "%", "%%MatrixMarket", "\r", "\n", "\r\n", " ", "\t",
  "\uFEFF", "\u00a0", "\u2028", '"', '""', ",", "symmetric", "skew-symmetric", "pattern", "array", "coordinate", "complex", "hermitian",
];
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");
const bytesText = fc.uint8Array({ maxLength: 400 }).map(latin1);
const anyText = fc.string({ unit: "binary", maxLength: 300 });

/** Mutations of a valid text: replace / insert a hostile token, delete a span, duplicate a line, truncate. */
function mutated(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...HOSTILE_TOKENS), fc.integer({ min: 0, max: 4 }));
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    for (const [a, b, token, kind] of edits) {
      const at = text.length ? a % text.length : 0, len = Math.min(b % 8, text.length - at);
      if (kind === 0) text = text.slice(0, at) + token + text.slice(at + len);
      else if (kind === 1) text = text.slice(0, at) + token + text.slice(at);
      else if (kind === 2) text = text.slice(0, at) + text.slice(at + len + 1);
      else if (kind === 3) { const lines = text.split("\n"); lines.splice(at % (lines.length || 1), 0, lines[at % (lines.length || 1)] ?? ""); text = lines.join("\n"); }
      else text = text.slice(0, at);
    }
    return text;
  });
}

const smallInt = fc.integer({ min: 0, max: 6 });
const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.integer({ min: -1000, max: 1000 }).map(String));
/** Valid Matrix Market texts of every storage the reader takes. */
const validMatrixMarket: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("coordinate", "array"), fc.constantFrom("real", "integer", "pattern"), fc.constantFrom("general", "symmetric", "skew-symmetric"), smallInt, smallInt, fc.array(fc.tuple(fc.nat(), fc.nat(), value), { maxLength: 20 }), fc.array(value, { maxLength: 49 }))
  .map(([format, field0, symmetry, r, c, coords, values]) => {
    const field = format === "array" && field0 === "pattern" ? "real" : field0;
    const cols = symmetry === "general" ? c : r;
    const fix = (v: string) => {
      if (field !== "integer") return v;
      const n = Math.trunc(Number(v));
      return Number.isSafeInteger(n) ? String(n) : "0";
    };
    const lines = [`%%MatrixMarket matrix ${format} ${field} ${symmetry}`, "% fuzz"];
    if (format === "coordinate") {
      const entries = coords.flatMap(([a, b, v]) => {
        if (r === 0 || cols === 0) return [];
        let i = a % r, j = b % cols;
        if (symmetry !== "general" && j > i) [i, j] = [j, i];
        if (symmetry === "skew-symmetric" && i === j) return [];
        return [`${i + 1} ${j + 1}${field === "pattern" ? "" : ` ${fix(v)}`}`];
      });
      lines.push(`${r} ${cols} ${entries.length}`, ...entries);
    } else {
      const stored = symmetry === "general" ? r * cols : symmetry === "symmetric" ? (r * (r + 1)) / 2 : (r * (r - 1)) / 2;
      lines.push(`${r} ${cols}`, ...Array.from({ length: stored }, (_, k) => fix(values[k % Math.max(values.length, 1)] ?? "0")));
    }
    return lines.join("\n") + "\n";
  });

/** Headers and size lines with hostile sizes, then a few plausible lines. */
const hostileSize = fc.oneof(
  fc.integer({ min: 0, max: 1_000_000 }).map(String),
  fc.constantFrom("2147483647", "2147483648", "2000000000", "1099511627776", "1e15", "-1", "-2147483648", "0x10", "1.5", "46341", "65536", "536870912", ""),
);
const hostileMatrixMarket = fc
  .tuple(fc.constantFrom("coordinate", "array", "Coordinate", "sparse"), fc.constantFrom("real", "integer", "pattern", "complex", "double"), fc.constantFrom("general", "symmetric", "skew-symmetric", "hermitian"), fc.array(hostileSize, { minLength: 0, maxLength: 4 }), fc.array(fc.oneof(value, fc.constantFrom(...HOSTILE_TOKENS)), { maxLength: 12 }))
  .map(([f, fi, s, size, body]) => `%%MatrixMarket matrix ${f} ${fi} ${s}\n${size.join(" ")}\n${body.join(" ")}\n`);

const validCsv: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.array(value, { minLength: 1, maxLength: 30 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
  .map(([cols, values, eol, trailing]) => {
    const rows = Math.max(1, Math.floor(values.length / cols));
    const lines = [Array.from({ length: cols }, (_, c) => (c % 2 ? `"col ${c}"` : `x${c}`)).join(",")];
    for (let i = 0; i < rows; i++) lines.push(Array.from({ length: cols }, (_, c) => values[(i * cols + c) % values.length]).join(","));
    return lines.join(eol) + (trailing ? eol : "");
  });

describe("fuzzing (fast-check, fixed seed)", () => {
  it("readMatrixMarket: arbitrary bytes and strings", () => {
    fc.assert(fc.property(fc.oneof(bytesText, anyText, anyText.map((t) => "%%MatrixMarket matrix coordinate real general\n" + t)), checkMatrixMarket), fuzz);
  }, fuzzTimeout);
  it("readMatrixMarket: valid files read and round-trip", () => {
    fc.assert(fc.property(validMatrixMarket, (t) => {
      checkMatrixMarket(t);
      expect(readMatrixMarket(t)).toBeDefined(); // valid text is accepted
    }), fuzz);
  }, fuzzTimeout);
  it("readMatrixMarket: mutated valid files", () => {
    fc.assert(fc.property(mutated(validMatrixMarket), checkMatrixMarket), fuzz);
  }, fuzzTimeout);
  it("readMatrixMarket: the plain-line fast path and the general path agree", () => {
    // A vertical tab for each space is whitespace to the general path but
    // sends every line with a separator off the fast path (and keeps the
    // text's length, which bounds what is read): same matrix, or same error and line.
    const outcome = (t: string) => {
      try {
        const m = readMatrixMarket(t);
        return { rows: m.rows, cols: m.cols, data: Array.from(m.data), indices: m instanceof CsrMatrix ? Array.from(m.indices) : [] };
      } catch (e) {
        return { code: (e as NumlaneError).code, line: /line \d+/.exec((e as Error).message)?.[0] };
      }
    };
    fc.assert(fc.property(fc.oneof(validMatrixMarket, mutated(validMatrixMarket)), (t) => {
      expect(outcome(t.replace(/ /g, "\v"))).toEqual(outcome(t));
    }), fuzz);
  }, fuzzTimeout);
  it("readMatrixMarket: hostile headers and sizes", () => {
    fc.assert(fc.property(hostileMatrixMarket, checkMatrixMarket), fuzz);
  }, fuzzTimeout);
  it("readCsv: arbitrary bytes and strings", () => {
    fc.assert(fc.property(fc.oneof(bytesText, anyText, anyText.map((t) => "a,b\n" + t)), checkCsv), fuzz);
  }, fuzzTimeout);
  it("readCsv: valid files read; mutated ones are read or refused cleanly", () => {
    fc.assert(fc.property(validCsv, (t) => {
      checkCsv(t);
      expect(readCsv(t).data.rows).toBeGreaterThan(0);
    }), fuzz);
    fc.assert(fc.property(mutated(validCsv), checkCsv), fuzz);
  }, fuzzTimeout);
});
