// npm run demo:build: the lab as a static site in web-demo/dist, for any static
// host (threads where the host sends COOP/COEP, one thread and a proxy worker
// otherwise). app.js and app.css (esbuild, with uPlot), the CSV worker, the
// wasm builds beside them (numlane fetches them from beside its code), the
// page, and the matrices it offers. Run `npm run build` first.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = here("./dist/");
if (!existsSync(here("../dist/web.js"))) throw new Error("run `npm run build` first: the lab bundles dist/web.js");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { app: here("./app.ts"), "csv-worker": here("./csv-worker.ts") }, bundle: true, format: "esm", target: "es2022",
  platform: "browser", outdir: out, minify: true, logLevel: "warning",
});
for (const build of ["threads", "single"]) cpSync(here(`../dist/numlane-${build}.wasm`), out + `numlane-${build}.wasm`);
cpSync(here("./index.html"), out + "index.html");
cpSync(here("../data/matrices"), out + "data/matrices", { recursive: true });
console.log(`numlane lab built in ${out}`);
