// The public surface: what "numlane" exports (its published types and the
// Node entry's runtime names) is the public API and nothing else; and init()
// works at the most threads it accepts.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as lib from "../dist/index.js";
import { CsrMatrix, DenseMatrix, init, MAX_THREADS } from "../dist/index.js";
import { sameBits, uniform } from "./helpers.js";

const TYPES = fileURLToPath(new URL("../dist/types/", import.meta.url));

// The runtime names of the Node entry. A new export is a conscious change:
// add it here and in src/exports.ts.
const RUNTIME_EXPORTS = [
  "CsrMatrix", "DATASET_FILES", "DenseMatrix", "MAX_THREADS", "NumlaneError", "PROBLEM_FAMILIES", "PreparedMatrix",
  "RecycleSpace", "encodeNpy", "generate", "init", "prepareDatasetDir", "problems", "readCsv", "readMatrixMarket",
  "readRegressionCsv", "writeDataset", "writeMatrixMarket",
];

// Node only (writes files): the other entries (src/entries/*) export the rest.
const NODE_ONLY = ["DATASET_FILES", "prepareDatasetDir", "writeDataset"];

// Modules of the machinery under the API: nothing they declare is exported,
// but for these public names (an option type, a limit, a parameter's type).
const INTERNAL_MODULES = ["engine", "pool/pool", "pool/protocol", "runtime/heap", "runtime/proxy", "generated/kernels"];
const PUBLIC_FROM_INTERNAL = new Set(["CallOptions", "MAX_THREADS", "Progress", "TypedArrayType"]);
// Named here too, so that moving one to another module keeps it internal.
const INTERNAL_NAMES = [
  "Engine", "Pool", "Heap", "CallScope", "TurnScope", "Turn", "KernelDescriptor", "KernelParams", "KernelOut", "KernelReason",
  "reasonName", "launchBytes", "workspaceBytes", "Platform", "WorkerHandle", "initWith", "Pattern", "prepareMatrix",
];

const stripComments = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
const source = (module: string) => stripComments(readFileSync(join(TYPES, `${module}.d.ts`), "utf8"));
const resolveFrom = (module: string, spec: string) =>
  resolve("/", dirname(module), spec.replace(/\.js$/, "")).slice(1);

interface Exported { name: string; module: string; local: string; typeOnly: boolean }

/** Every name a .d.ts module exports (following export * from), with the module it comes from (see declaring). */
function exportsOf(module: string, seen = new Set<string>()): Exported[] {
  if (seen.has(module)) return [];
  seen.add(module);
  const text = source(module);
  const out: Exported[] = [];
  for (const m of text.matchAll(/^export \* from "([^"]+)";/gm)) out.push(...exportsOf(resolveFrom(module, m[1]), seen));
  for (const m of text.matchAll(/^export (type )?\{([^}]*)\}(?: from "([^"]+)")?;/gm)) {
    const from = m[3] === undefined ? module : resolveFrom(module, m[3]);
    for (const item of m[2].split(",").map((s) => s.trim()).filter(Boolean)) {
      const [, type, local, alias] = /^(type )?(\w+)(?: as (\w+))?$/.exec(item)!;
      out.push({ name: alias ?? local, module: from, local, typeOnly: Boolean(m[1] || type) });
    }
  }
  for (const m of text.matchAll(/^export (?:declare )?(?:abstract )?(?:class|interface|type|function|const|let|enum|namespace) (\w+)/gm)) {
    out.push({ name: m[1], module, local: m[1], typeOnly: false });
  }
  return out;
}

/** The declarations of `name` in `module`'s .d.ts (overloads and merged declarations included). */
function declarations(module: string, name: string): { kind: string; text: string }[] {
  const text = source(module), found: { kind: string; text: string }[] = [];
  const re = new RegExp(`^(?:export )?(?:declare )?(?:abstract )?(class|interface|type|function|const|let|enum) ${name}\\b`, "gm");
  for (const m of text.matchAll(re)) {
    let depth = 0, end = m.index!;
    for (; end < text.length; end++) {
      const c = text[end];
      if (c === "{" || c === "(" || c === "[") depth++;
      else if (c === "}" || c === ")" || c === "]") {
        if (--depth === 0 && c === "}" && (m[1] === "class" || m[1] === "interface")) break;
      } else if (c === ";" && depth === 0) break;
    }
    found.push({ kind: m[1], text: text.slice(m.index!, end + 1) });
  }
  return found;
}

/** The module and name that declare what `module` exports or imports as `name` (following re-exports). */
function declaring(module: string, name: string): { module: string; name: string } {
  if (declarations(module, name).length > 0) return { module, name };
  for (const m of source(module).matchAll(/^(?:export|import) (?:type )?\{([^}]*)\} from "([^"]+)";/gm)) {
    for (const item of m[1].split(",").map((s) => s.trim())) {
      const [, local, alias] = /^(?:type )?(\w+)(?: as (\w+))?$/.exec(item) ?? [];
      if ((alias ?? local) === name) return declaring(resolveFrom(module, m[2]), local);
    }
  }
  throw new Error(`${name}: no declaration found from ${module}.d.ts`);
}

describe("public surface", () => {
  // The types of every entry in package.json's exports ("numlane", "numlane/queue", …).
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { exports: Record<string, { types?: string }> };
  const entries = Object.values(pkg.exports).flatMap((e) => (e.types ? [e.types.replace(/^\.\/dist\/types\/|\.d\.ts$/g, "")] : []));
  const exported = entries.flatMap((entry) => exportsOf(entry));
  const names = exported.map((e) => e.name);
  const internalNames = new Set([
    ...INTERNAL_NAMES,
    ...INTERNAL_MODULES.flatMap((m) => exportsOf(m).map((e) => e.name)).filter((n) => !PUBLIC_FROM_INTERNAL.has(n)),
  ]);

  it("the types export no internal name", () => {
    expect(entries).toContain("index");
    expect(names.length).toBeGreaterThan(50);
    expect(names.filter((n) => internalNames.has(n))).toEqual([]);
    expect(exported.filter((e) => INTERNAL_MODULES.includes(e.module) && !PUBLIC_FROM_INTERNAL.has(e.name)).map((e) => e.name)).toEqual([]);
    expect(names.filter((n) => n === "Engine" || n.startsWith("CTL_") || n.startsWith("MB_") || n.startsWith("TEAM_"))).toEqual([]);
  });

  it("no exported declaration shows an internal type", () => {
    const leaks: string[] = [];
    const word = new RegExp(`\\b(${[...internalNames].join("|")})\\b`);
    for (const e of exported) {
      const at = declaring(e.module, e.local);
      for (const d of declarations(at.module, at.name)) {
        let text = d.text;
        // A class exported as a type only cannot be constructed by callers
        // (TypeDoc shows it as an interface): its constructor is not surface.
        if (d.kind === "class" && e.typeOnly) text = text.replace(/^\s*constructor\(.*\);$/gm, "");
        const hit = word.exec(text);
        if (hit) leaks.push(`${e.name} (${at.module}.d.ts) mentions ${hit[1]}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("the types compile for a caller, and hide the context's engine", () => {
    const dir = mkdtempSync(join(tmpdir(), "numlane-surface-"));
    try {
      const entry = JSON.stringify(join(TYPES, "index.js"));
      writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
      writeFileSync(join(dir, "main.ts"), [
        `import { init, type Blas, type Numlane } from ${entry};`,
        "export async function use(): Promise<Blas> {",
        "  const nl: Numlane = await init();",
        "  // @ts-expect-error internal: not in the published types",
        "  void nl.engine;",
        "  return nl.blas;",
        "}",
      ].join("\n"));
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        compilerOptions: {
          target: "es2022", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "dom"], strict: true, noEmit: true,
          skipLibCheck: false, types: ["node"], typeRoots: [fileURLToPath(new URL("../node_modules/@types", import.meta.url))],
        },
        files: ["main.ts"],
      }));
      const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
      try {
        execFileSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { encoding: "utf8", stdio: "pipe" });
      } catch (e) {
        expect.fail(`tsc: ${(e as { stdout?: string }).stdout ?? ""}${(e as Error).message}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the runtime exports are exactly the listed ones (Node's entry; the browser's without the Node-only ones)", async () => {
    expect(Object.keys(lib).sort()).toEqual([...RUNTIME_EXPORTS].sort());
    // The types declare every runtime name, as a value.
    const web = await import("../dist/web.js");
    expect(Object.keys(web).sort()).toEqual(RUNTIME_EXPORTS.filter((n) => !NODE_ONLY.includes(n)).sort());
    const main = exportsOf("index");
    for (const n of RUNTIME_EXPORTS) expect(main.some((e) => e.name === n && !e.typeOnly), n).toBe(true);
  });
});

/** The 5-point Laplacian on an m×m grid. */
function laplacian(m: number): CsrMatrix {
  const indptr = [0], indices: number[] = [], data: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const row = i * m + j;
      if (i > 0) { indices.push(row - m); data.push(-1); }
      if (j > 0) { indices.push(row - 1); data.push(-1); }
      indices.push(row); data.push(4);
      if (j < m - 1) { indices.push(row + 1); data.push(-1); }
      if (i < m - 1) { indices.push(row + m); data.push(-1); }
      indptr.push(indices.length);
    }
  }
  return new CsrMatrix(m * m, m * m, new Int32Array(indptr), new Int32Array(indices), new Float64Array(data));
}

describe(`init({ threads: MAX_THREADS = ${MAX_THREADS} })`, () => {
  it("starts, launches every family on all its threads with the one-thread bits, and closes", async () => {
    const nl = await init({ threads: MAX_THREADS });
    try {
      expect(nl.info.threads).toBe(MAX_THREADS);
      expect(nl.info.workers).toBe(MAX_THREADS);
      const all = { threads: MAX_THREADS }, one = { threads: 1 };
      // Big enough that every thread gets chunks of its own.
      const x = uniform(MAX_THREADS * 8 * 2048, 1), y = uniform(x.length, 2);
      expect(Object.is(await nl.blas.dot(x, y, all), await nl.blas.dot(x, y, one))).toBe(true);

      const batch = new Float32Array(uniform(MAX_THREADS * 4 * 256, 3));
      expect(sameBits(await nl.softmax(batch, { cols: 256, ...all }), await nl.softmax(batch, { cols: 256, ...one }))).toBe(true);

      const A = laplacian(48), b = uniform(A.rows, 4);
      const cgAll = await nl.cg(A, b, all), cgOne = await nl.cg(A, b, one);
      expect(cgAll.converged).toBe(true);
      expect(cgAll.iterations).toBe(cgOne.iterations);
      expect(sameBits(cgAll.x, cgOne.x)).toBe(true);
      const gmAll = await nl.gmres(A, b, all), gmOne = await nl.gmres(A, b, one);
      expect(gmAll.converged).toBe(true);
      expect(sameBits(gmAll.x, gmOne.x)).toBe(true);

      const M = new DenseMatrix(4096, 32, uniform(4096 * 32, 5)), rhs = uniform(4096, 6);
      const lassoAll = await nl.lasso(M, rhs, { lambda: 0.01, ...all }), lassoOne = await nl.lasso(M, rhs, { lambda: 0.01, ...one });
      expect(sameBits(lassoAll.x, lassoOne.x)).toBe(true);
      const lsAll = await nl.lstsq(M, rhs, { method: "sketch-and-precondition", seed: 7, ...all });
      const lsOne = await nl.lstsq(M, rhs, { method: "sketch-and-precondition", seed: 7, ...one });
      expect(sameBits(lsAll.x, lsOne.x)).toBe(true);
    } finally {
      await nl.close();
    }
  });
});
