// Pool worker entry for browsers and Deno (module Worker), exposed through
// comlink. scripts/build.mjs bundles it into the web entry as a string.
import * as Comlink from "comlink";
import { createWorkerApi } from "./serve.js";

Comlink.expose(createWorkerApi(() => (self as unknown as { close(): void }).close()));
