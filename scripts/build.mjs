// npm run build: the wasm builds (asc: threads, single, relaxed, relaxed-single), the JS bundles per runtime (esbuild), the types (tsc).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

import { generate as generateKernels } from "./kernels.mjs";

const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });
mkdirSync("dist", { recursive: true });
// The host/kernel boundary, from the kernels' descriptors (before asc and esbuild read it).
generateKernels();

/** The newest modification time (ms) of the files under the given paths. */
function newest(...paths) {
  let t = 0;
  for (const p of paths) {
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(...readdirSync(p).map((f) => join(p, f))) : s.mtimeMs);
  }
  return t;
}
// The asc builds take most of the build's time: each is skipped while its
// .wasm is newer than every kernel source, the config and the compiler.
const asconfig = JSON.parse(readFileSync("asconfig.json", "utf8"));
const kernelSources = newest("assembly", "asconfig.json", "node_modules/assemblyscript/package.json");
// relaxed-single: the relaxed build without threads, for Engine.local in relaxed contexts.
for (const target of ["threads", "single", "relaxed", "relaxed-single"]) {
  const out = asconfig.targets[target].outFile;
  if (existsSync(out) && statSync(out).mtimeMs > kernelSources) continue;
  run("npx", ["asc", "assembly/index.ts", "--config", "asconfig.json", "--target", target]);
}

// The tour's data ships inside dist/data (numlane tour runs from an installed
// package); the list lives in the tour itself.
const tourData = JSON.parse(/TOUR_DATA = (\[[^\]]*\])/.exec(readFileSync("src/cli/tour.ts", "utf8"))[1]);
for (const file of tourData) cpSync(join("data", file), join("dist/data", file));
// The version recorded in generated datasets' meta (src/generate.ts), from package.json: one source.
const { version } = JSON.parse(readFileSync("package.json", "utf8"));
const common = { bundle: true, format: "esm", target: "es2022", sourcemap: true, logLevel: "warning", define: { __NUMLANE_VERSION__: JSON.stringify(version) } };

// Node (and Bun): wasm read with fs, workers on worker_threads. Split, so
// that numlane/queue and the main entry share one copy of the library (its
// classes, checked with instanceof); chunks sit beside the entries, where
// runtime/node.ts looks for the .wasm and the worker. Old chunks are left:
// deleting them would break a build or test running beside this one.
await esbuild.build({
  ...common,
  platform: "node",
  splitting: true,
  entryPoints: { index: "src/index.ts", "worker-node": "workers/node.ts", cli: "src/cli.ts", queue: "src/queue.ts", "queue-node": "workers/queue-node.ts" },
  outdir: "dist",
  // An optional peer, imported only by numlane/queue and `numlane worker` / `generate --queue`.
  external: ["bullmq", "ioredis"],
});

// Browsers, Deno, bundlers: the pool worker and the proxy worker (long calls
// off a page's main thread when there is no pool) travel inside dist/web.js
// as strings (started from Blob URLs), so only the .wasm must sit beside it.
const workerSource = async (entry) => (await esbuild.build({
  ...common, platform: "browser", sourcemap: false, minify: true, write: false, entryPoints: [entry],
})).outputFiles[0].text;
await esbuild.build({
  ...common,
  platform: "browser",
  entryPoints: { web: "src/entries/web.ts" },
  outdir: "dist",
  define: {
    ...common.define,
    __NUMLANE_WEB_WORKER__: JSON.stringify(await workerSource("workers/web.ts")),
    __NUMLANE_PROXY_WORKER__: JSON.stringify(await workerSource("workers/proxy-web.ts")),
  },
});

// Edge runtimes: the .wasm stays an import (the runtime compiles it as a module), next to the bundle.
const wasmAsModule = {
  name: "wasm-as-module",
  setup(b) {
    b.onResolve({ filter: /\.wasm(\?module)?$/ }, (a) => ({ path: a.path, external: true }));
  },
};
await esbuild.build({
  ...common,
  platform: "neutral",
  entryPoints: { workerd: "src/entries/workerd.ts", "edge-light": "src/entries/edge-light.ts", "queue-edge": "src/entries/queue-edge.ts" },
  outdir: "dist",
  plugins: [wasmAsModule],
});
run("npx", ["tsc", "-p", "tsconfig.json"]);
