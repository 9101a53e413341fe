// Pool worker entry for Node (worker_threads), exposed through comlink.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { createWorkerApi } from "./serve.js";

// process.exit in a worker ends only this worker's thread.
Comlink.expose(createWorkerApi(() => process.exit(1)), nodeEndpoint(parentPort!));
