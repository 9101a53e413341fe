// Pool worker entry for Node (worker_threads), exposed through comlink.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { createWorkerApi } from "./serve.js";

Comlink.expose(createWorkerApi(), nodeEndpoint(parentPort!));
