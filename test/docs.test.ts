// `npm run docs`: the TypeDoc reference builds from the TSDoc without errors
// (warnings, e.g. a referenced type that is not exported, are printed).
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

it("npm run docs builds the API reference without errors", async () => {
  const out = mkdtempSync(join(tmpdir(), "numlane-docs-"));
  try {
    const script = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.docs as string;
    const [cmd, ...args] = script.split(" ");
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(cmd, [...args, "--out", out], { cwd: root, encoding: "utf8" }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
      });
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Found 0 errors/);
    const index = readFileSync(join(out, "index.html"), "utf8");
    for (const name of ["init", "Numlane", "CsrMatrix", "NumlaneError", "readMatrixMarket"]) expect(index).toContain(name);
    // Only the public API has pages, and no page shows an internal type (test/surface.test.ts checks the types themselves).
    const pages = readdirSync(out, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".html"));
    const internal = /\b(Engine|Pool|Heap|CallScope|TurnScope|Turn|KernelDescriptor|KernelParams|KernelOut|WorkerHandle|Platform|RunOptions)\b/;
    expect(pages.filter((f) => internal.test(f.replace(/\.html$/, "")))).toEqual([]);
    const shown = pages.filter((f) => internal.test(readFileSync(join(out, f), "utf8").replace(/<p>[\s\S]*?<\/p>/g, "")));
    expect(shown).toEqual([]);
    // The TSDoc reaches the pages: cg's options document rtol.
    expect(readFileSync(join(out, "interfaces", "CgOptions.html"), "utf8")).toMatch(/Stop when ‖r‖ ≤ max\(rtol·‖b‖, atol\)/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
