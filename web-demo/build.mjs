// Bundles the web demo into web-demo/dist: app.js (esbuild, for browsers),
// the two wasm builds beside it (numlane fetches them from beside its code),
// the page, and the data it offers. Run `npm run build` first.
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = here("./dist/");
if (!existsSync(here("../dist/web.js"))) throw new Error("run `npm run build` first: web-demo bundles dist/web.js");
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [here("./app.ts")], bundle: true, format: "esm", target: "es2022", platform: "browser",
  outfile: out + "app.js", sourcemap: true, logLevel: "warning",
});
for (const build of ["threads", "single"]) cpSync(here(`../dist/numlane-${build}.wasm`), out + `numlane-${build}.wasm`);
cpSync(here("./index.html"), out + "index.html");
cpSync(here("../data/matrices"), out + "data/matrices", { recursive: true });
cpSync(here("../data/datasets"), out + "data/datasets", { recursive: true });
console.log(`web demo built in ${out}`);
