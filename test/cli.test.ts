// The `numlane` command's lstsq on real data (data/datasets/diabetes.csv)
// against NumPy's lstsq, and the CSV reader it uses.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NumlaneError, readCsv, readRegressionCsv } from "../dist/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, ["dist/cli.js", ...args], { cwd: root, encoding: "utf8" });

/** NumPy's lstsq on the CSV (target last), optionally with a column of ones first. */
function numpyLstsq(intercept: boolean): { x: number[]; res: number } | undefined {
  const py = "/usr/bin/python3";
  if (!existsSync(py) && !process.env.CI) return undefined;
  const script = `import json,numpy as np
d=np.loadtxt('data/datasets/diabetes.csv',delimiter=',',skiprows=1);A=d[:,:-1];b=d[:,-1]
A=np.hstack([np.ones((A.shape[0],1)),A]) if ${intercept ? "True" : "False"} else A
x=np.linalg.lstsq(A,b,rcond=None)[0];print(json.dumps({'x':x.tolist(),'res':float(np.linalg.norm(b-A@x))}))`;
  const run = spawnSync(py, ["-c", script], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) {
    if (process.env.CI) throw new Error(`NumPy is required in CI: ${run.stderr}`);
    console.warn(`NumPy comparison skipped: ${run.stderr}`);
    return undefined;
  }
  return JSON.parse(run.stdout);
}

describe("numlane lstsq data.csv", () => {
  it("prints NumPy's coefficients and residual norm on the diabetes data, with and without an intercept, by every method", () => {
    for (const intercept of [false, true]) {
      const ref = numpyLstsq(intercept);
      if (!ref) return;
      for (const method of ["qr", "sketch-and-precondition", "iterative-sketching"]) {
        const run = cli("lstsq", "data/datasets/diabetes.csv", "--method", method, "--json", ...(intercept ? ["--intercept"] : []));
        expect(run.status, run.stderr).toBe(0);
        const out = JSON.parse(run.stdout);
        expect(out.method).toBe(method);
        expect(out.features.length).toBe(intercept ? 11 : 10);
        let err = 0, size = 0;
        ref.x.forEach((v, j) => { err = Math.max(err, Math.abs(out.coefficients[j] - v)); size = Math.max(size, Math.abs(v)); });
        expect(err / size, `${method} intercept=${intercept}`).toBeLessThan(1e-10);
        expect(Math.abs(out.residualNorm - ref.res) / ref.res).toBeLessThan(1e-12);
        expect(out.ms).toBeGreaterThan(0);
      }
    }
    const text = cli("lstsq", "data/datasets/diabetes.csv");
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/bmi\s+519\.84592/); // NumPy: 519.8459200544...
    expect(text.stdout).toMatch(/residual norm .* = 3390\.2651/);
    expect(text.stdout).toMatch(/method qr, solved/);
  });

  it("says what is wrong with a bad file or a missing argument", () => {
    expect(cli("lstsq").status).toBe(1);
    const missing = cli("lstsq", "no-such-file.csv");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no-such-file/);
  });
});

describe("readCsv", () => {
  it("reads a header and numeric rows; splits the target off for regression", () => {
    const csv = readCsv("a,b,y\n1,2,3\n4,5.5,-6e1\n");
    expect(csv.header).toEqual(["a", "b", "y"]);
    expect(Array.from(csv.data.data)).toEqual([1, 2, 3, 4, 5.5, -60]);
    const r = readRegressionCsv("a,b,y\n1,2,3\n4,5.5,-6e1\n");
    expect([r.A.rows, r.A.cols, r.target, ...r.features]).toEqual([2, 2, "y", "a", "b"]);
    expect(Array.from(r.b)).toEqual([3, -60]);
  });

  it("rejects non-numbers and ragged rows with the line named", () => {
    for (const [text, pattern] of [["a,b\n1,x\n", /line 2, column "b"/], ["a,b\n1,2\n3\n", /line 3 has 1 fields/], ["a,b\n", /header row and at least one/]] as const) {
      let err: unknown;
      try { readCsv(text); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(NumlaneError);
      expect((err as Error).message).toMatch(pattern);
    }
  });
});
