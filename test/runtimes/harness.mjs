// Drives numlane in each runtime for the runtime tests (runtimes.test.ts) and
// the cold-start table (bench/runtimes.mjs): finds each runtime's binary,
// lays out a throwaway project that depends on numlane, runs the shared
// vectors there, and returns what the runtime reported.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HERE = fileURLToPath(new URL("./", import.meta.url));
const FIXTURES = join(HERE, "fixtures");

/** Where each runtime's binary is expected (npm devDependencies; Debian's chromium). */
export const BINARIES = {
  node: process.execPath,
  deno: join(ROOT, "node_modules/.bin/deno"),
  bun: join(ROOT, "node_modules/.bin/bun"),
  workerd: join(ROOT, "node_modules/.bin/workerd"),
  chromium: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
};

/** The binary's path, or why it is missing. */
export function binary(name) {
  const path = BINARIES[name];
  return existsSync(path) ? { path } : { missing: `${name} not found at ${path}` };
}

/** A temporary project with node_modules/numlane → this checkout, the fixtures and vectors copied in. */
export function makeProject() {
  const dir = mkdtempSync(join(tmpdir(), "numlane-rt-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules/numlane"), "dir");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "numlane-consumer", private: true, type: "module", dependencies: { numlane: "*" } }));
  copyFileSync(join(HERE, "vectors.mjs"), join(dir, "vectors.mjs"));
  copyFileSync(join(FIXTURES, "runner.mjs"), join(dir, "runner.mjs"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function exec(cmd, args, { cwd, timeoutMs = 120_000, env } = {}) {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill("SIGKILL"); rej(new Error(`${cmd} timed out after ${timeoutMs} ms\n${stderr}`)); }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); rej(e); });
    child.on("close", (code) => { clearTimeout(timer); res({ code, stdout, stderr }); });
  });
}

/**
 * Runs the vectors under `configs` (init options) in node, deno or bun inside
 * `project`; resolves to { cold, runs, entry, wallMs } (wallMs: process start to exit);
 * `solves` > 0 adds the process's first CG solves to `cold` (vectors.mjs).
 */
export async function runCli(runtime, project, configs, solves = 0) {
  const args = { node: ["runner.mjs"], bun: ["runner.mjs"], deno: ["run", "--allow-read", "runner.mjs"] }[runtime];
  const t0 = performance.now();
  const { code, stdout, stderr } = await exec(BINARIES[runtime], [...args, JSON.stringify(configs), String(solves)], {
    cwd: project.dir, env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const wallMs = performance.now() - t0;
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (code !== 0 || !line) throw new Error(`${runtime} exited with ${code}\n${stdout}\n${stderr}`);
  return { ...JSON.parse(line.slice(7)), wallMs };
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".map": "application/json" };
const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

/**
 * A loopback static server. `mounts` maps a URL prefix to { dir, isolated, headers }:
 * isolated mounts send COOP/COEP (what an Electron app's custom protocol or
 * onHeadersReceived adds), the others send neither; `headers` are added as given.
 */
export async function serve(mounts) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    for (const [prefix, { dir, isolated, headers }] of Object.entries(mounts)) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(resolve(dir)) || !existsSync(file)) break;
      let body;
      try { body = readFileSync(file); } catch { break; }
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream", ...(isolated ? ISOLATION : {}), ...headers });
      res.end(body);
      return;
    }
    res.writeHead(404).end("not found");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Bundles the consumer app with esbuild for the browser, as README "Runtimes"
 * tells users to: resolve numlane by name (browser condition), then copy
 * node_modules/numlane/dist/numlane-*.wasm beside the bundle.
 */
export async function bundleConsumer(project, { copyWasm = true } = {}) {
  const out = join(project.dir, copyWasm ? "consumer-out" : "consumer-nowasm");
  mkdirSync(join(project.dir, "consumer"), { recursive: true });
  copyFileSync(join(FIXTURES, "consumer/app.mjs"), join(project.dir, "consumer/app.mjs"));
  await esbuild.build({
    entryPoints: [join(project.dir, "consumer/app.mjs")], bundle: true, format: "esm", platform: "browser",
    outfile: join(out, "app.js"), logLevel: "warning", absWorkingDir: project.dir,
  });
  for (const build of copyWasm ? ["threads", "single"] : []) {
    copyFileSync(join(project.dir, `node_modules/numlane/dist/numlane-${build}.wasm`), join(out, `numlane-${build}.wasm`));
  }
  copyFileSync(join(FIXTURES, "consumer/index.html"), join(out, "index.html"));
  return out;
}

/**
 * The same consumer app built with Vite (which comes with vitest): Vite
 * follows new URL(`./numlane-${build}.wasm`, import.meta.url) in dist/web.js
 * and emits every build as a hashed asset, so there is no copy step.
 */
export async function viteConsumer(project) {
  const root = join(project.dir, "vite-consumer"), outDir = join(project.dir, "vite-out");
  mkdirSync(root, { recursive: true });
  copyFileSync(join(FIXTURES, "consumer/app.mjs"), join(root, "app.mjs"));
  writeFileSync(join(root, "index.html"), '<!doctype html>\n<meta charset="utf-8">\n<script type="module" src="./app.mjs"></script>\n');
  const { build } = await import("vite");
  await build({ root, base: "./", logLevel: "warn", configFile: false, build: { outDir, target: "es2022", emptyOutDir: true } });
  return outDir;
}

/** Headless Chromium (Debian's), no sandbox (containers), no background traffic. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: BINARIES.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--no-first-run", "--disable-sync"],
  });
}

/** Opens `url` in a fresh page and waits for the fixture's window.__numlane. */
export async function runPage(browser, url, { timeoutMs = 90_000, expectError = false } = {}) {
  const page = await browser.newPage();
  const logs = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => logs.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__numlane !== undefined, null, { timeout: timeoutMs });
    const result = await page.evaluate(() => window.__numlane);
    if (result.error && !expectError) throw new Error(`${url}: ${result.error}\n${logs.join("\n")}`);
    return result;
  } finally {
    await page.close();
  }
}

/** The browser pages: the runtime page with and without isolation or workers, and the esbuild consumer. */
export async function browserMounts(project) {
  const consumer = await bundleConsumer(project);
  return {
    "/coi/": { dir: ROOT, isolated: true },
    "/plain/": { dir: ROOT, isolated: false },
    // Isolated, but a CSP that refuses Blob URL workers.
    "/csp/": { dir: ROOT, isolated: true, headers: { "Content-Security-Policy": "worker-src 'self'" } },
    // Neither isolated nor allowing Blob URL workers: no proxy worker either.
    "/plain-csp/": { dir: ROOT, isolated: false, headers: { "Content-Security-Policy": "worker-src 'self'" } },
    "/consumer/": { dir: consumer, isolated: true },
    // The same app with the copy step of the recipe forgotten.
    "/consumer-nowasm/": { dir: await bundleConsumer(project, { copyWasm: false }), isolated: true },
    "/vite/": { dir: await viteConsumer(project), isolated: true },
  };
}
export const PAGE = "test/runtimes/fixtures/page.html";

/**
 * Bundles the workerd fixture as wrangler does (conditions workerd, worker,
 * browser; .wasm imports stay module imports), writes a capnp config and
 * starts workerd on a free loopback port. Resolves once it answers; startMs
 * is spawn → first answer of /init (boot + script load + import + init).
 */
export async function startWorkerd(project, { bare = false, condition = "workerd" } = {}) {
  const dir = join(project.dir, bare ? "workerd-bare" : condition);
  // The edge-light entry imports "./numlane-single.wasm?module" (Vercel's form); workerd takes the name as given.
  const wasmName = condition === "edge-light" ? "numlane-single.wasm?module" : "numlane-single.wasm";
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FIXTURES, "workerd-worker.mjs"), join(project.dir, "workerd-worker.mjs"));
  // bare: a worker without numlane answering {}, for workerd's own start-up time.
  if (bare) writeFileSync(join(dir, "worker.js"), 'export default { fetch: () => new Response("{}") };\n');
  else await esbuild.build({
    entryPoints: [join(project.dir, "workerd-worker.mjs")], bundle: true, format: "esm", platform: "neutral",
    conditions: [condition, "worker", "browser"], mainFields: ["module", "main"],
    outfile: join(dir, "worker.js"), logLevel: "warning", absWorkingDir: project.dir,
    plugins: [{ name: "wasm-module", setup(b) { b.onResolve({ filter: /\.wasm(\?module)?$/ }, (a) => ({ path: a.path, external: true })); } }],
  });
  copyFileSync(join(project.dir, "node_modules/numlane/dist/numlane-single.wasm"), join(dir, "numlane-single.wasm"));
  const port = await freePort();
  writeFileSync(join(dir, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .numlaneWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const numlaneWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${bare ? "" : `    (name = "${wasmName}", wasm = embed "numlane-single.wasm"),\n`}  ],
  compatibilityDate = "2025-01-01",
);
`);
  const t0 = performance.now();
  const child = spawn(BINARIES.workerd, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.on("data", (d) => (stderr += d));
  const exited = new Promise((r) => child.on("exit", (code) => r(code)));
  const origin = `http://127.0.0.1:${port}`;
  let first;
  for (let i = 0; ; i++) {
    const code = await Promise.race([exited, new Promise((r) => setTimeout(r, 10))]);
    if (code !== undefined) throw new Error(`workerd exited with ${code}\n${stderr}`);
    try { first = await (await fetch(`${origin}/init`)).json(); break; } catch { /* not listening yet */ }
    if (i > 3000) throw new Error(`workerd did not answer within 30 s\n${stderr}`);
  }
  const startMs = performance.now() - t0;
  return {
    origin, startMs, first, log: () => stderr,
    get: async (path) => (await fetch(origin + path)).json(),
    stop: async () => { child.kill("SIGTERM"); await exited; },
  };
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}
