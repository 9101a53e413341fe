// Serves web-demo/dist on loopback with the headers that make a page
// cross-origin isolated (COOP/COEP), so numlane gets SharedArrayBuffer and
// threads. `--plain` serves without them: the single build on one thread.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("./dist/", import.meta.url));
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".map": "application/json", ".css": "text/css", ".mtx": "text/plain", ".csv": "text/csv" };

export function serve({ port = 0, isolated = true } = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? path + "index.html" : path);
    try {
      const body = await readFile(file);
      const headers = { "content-type": TYPES[extname(file)] ?? "application/octet-stream" };
      if (isolated) Object.assign(headers, { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" });
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const isolated = !process.argv.includes("--plain");
  const server = await serve({ port: Number(process.env.PORT ?? 8080), isolated });
  console.log(`numlane web demo: http://127.0.0.1:${server.address().port}/ (${isolated ? "cross-origin isolated: threads" : "not isolated: single build"})`);
}
