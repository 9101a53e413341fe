// npm run build: both wasm builds (asc), the JS bundles (esbuild), the types (tsc).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as esbuild from "esbuild";

const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });
mkdirSync("dist", { recursive: true });
for (const target of ["threads", "single"]) {
  run("npx", ["asc", "assembly/index.ts", "--config", "asconfig.json", "--target", target]);
}
const common = { bundle: true, format: "esm", target: "es2022", sourcemap: true, logLevel: "warning" };
await esbuild.build({
  ...common,
  platform: "node",
  entryPoints: { index: "src/index.ts", "worker-node": "workers/node.ts", cli: "src/cli.ts" },
  outdir: "dist",
  banner: { js: "" },
});
run("npx", ["tsc", "-p", "tsconfig.json"]);
