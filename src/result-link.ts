// numlane/queue's path for a chunk's result bytes (6.6 MB for 100 Darcy 64²
// systems): a plain Redis connection speaking just SET, GET and DEL. ioredis
// copies a value into one fresh command buffer before writing it, and its
// reply parser concatenates a long reply's socket reads into another; fresh
// memory costs ~3 ms a MB to touch on a VM, so each chunk cost the worker and
// the coordinator 5–40 ms of CPU beside the solves. Here the worker writes
// its values buffer to the socket as it is (one writev), and the coordinator
// reads into one reused 64 KB buffer and copies straight to where the bytes
// go. Used when the connection is a redis:// URL or { host, port, username,
// password, db }; other ioredis options (TLS, sentinels, …) keep ioredis.
// Node only.
import type { Socket } from "node:net";
import { NumlaneError } from "./errors.js";

/** What a result link connects with; undefined when the options need ioredis. */
export interface LinkOptions { host: string; port: number; username?: string; password?: string; db: number }
const LINK_KEYS = new Set(["host", "port", "username", "password", "db", "maxRetriesPerRequest"]);

/** The link's options from connectionOptions' output, or undefined if some option only ioredis understands. */
export function linkOptions(o: Record<string, unknown>): LinkOptions | undefined {
  if (Object.keys(o).some((k) => !LINK_KEYS.has(k) && o[k] !== undefined)) return undefined;
  const { host = "127.0.0.1", port = 6379, username, password, db = 0 } = o as Partial<LinkOptions>;
  if (typeof host !== "string" || typeof port !== "number" || typeof db !== "number") return undefined;
  if ((username !== undefined && typeof username !== "string") || (password !== undefined && typeof password !== "string")) return undefined;
  return { host, port, db, ...(username !== undefined && { username }), ...(password !== undefined && { password }) };
}

/** A reply being read: a bulk reply's bytes go to `sink` (offset into the value) when given, else are kept. */
interface Pending {
  resolve: (v: string | number | Buffer | null) => void;
  reject: (e: Error) => void;
  sink?: (bytes: Uint8Array, at: number) => void;
}

/** Tries per command when the connection breaks (SET, GET and DEL may be repeated). */
const TRIES = 3;
/** An error reply from Redis: not retried. */
class ReplyError extends Error {}

export class ResultLink {
  private socket?: Promise<Socket>;
  /** Which connection the parser and the pending replies belong to. */
  private generation = 0;
  private readonly pending: Pending[] = [];
  // The reply parser's state: a line being read, or a bulk value's bytes.
  private line = "";
  private bulkLeft = -1;
  private bulkAt = 0;
  private kept?: Buffer;
  private readonly readBuffer = new Uint8Array(65536);

  constructor(private readonly opts: LinkOptions) {}

  /** SET key to `bytes` (written from where they are) with a TTL. */
  async set(key: string, bytes: Uint8Array, ttlSeconds: number): Promise<void> {
    const head = `*5\r\n$3\r\nSET\r\n${bulk(key)}$${bytes.byteLength}\r\n`, tail = `\r\n$2\r\nEX\r\n${bulk(String(ttlSeconds))}`;
    await this.command([head, bytes, tail]);
  }

  /** GET key, its bytes handed to `sink` as they arrive (offset into the value); the value's length, or null if there is no key. */
  async get(key: string, sink: (bytes: Uint8Array, at: number) => void): Promise<number | null> {
    let length = 0, failure: unknown;
    // The sink runs inside the socket's read callback: its error is kept for the caller.
    const v = await this.command([`*2\r\n$3\r\nGET\r\n${bulk(key)}`], (b, at) => {
      if (failure === undefined) try { sink(b, at); } catch (e) { failure = e; }
      length = at + b.byteLength;
    });
    if (failure !== undefined) throw failure;
    return v === null ? null : length;
  }

  async del(key: string): Promise<void> {
    await this.command([`*2\r\n$3\r\nDEL\r\n${bulk(key)}`]);
  }

  close(): void {
    void this.socket?.then((s) => s.destroy(), () => undefined);
    this.socket = undefined;
  }

  private async command(parts: (string | Uint8Array)[], sink?: Pending["sink"]): Promise<string | number | Buffer | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const socket = await this.connect();
        return await new Promise((resolve, reject) => {
          this.pending.push({ resolve, reject, ...(sink && { sink }) });
          socket.cork();
          for (const p of parts) socket.write(p);
          socket.uncork();
        });
      } catch (e) {
        if (e instanceof NumlaneError || e instanceof ReplyError || attempt >= TRIES) throw e;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  private connect(): Promise<Socket> {
    this.socket ??= (async () => {
      const { connect } = await import("node:net");
      const { host, port, username, password, db } = this.opts, generation = this.generation;
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s: Socket = connect({ host, port, noDelay: true, onread: { buffer: this.readBuffer, callback: (n: number) => { this.read(n); return true; } } }, () => {
          s.off("error", reject);
          resolve(s);
        });
        s.once("error", reject);
      });
      const broken = (e: Error) => {
        socket.destroy();
        if (generation !== this.generation) return;
        this.generation++;
        this.socket = undefined;
        this.line = ""; this.bulkLeft = -1; this.kept = undefined;
        for (const p of this.pending.splice(0)) p.reject(e);
      };
      // Never what keeps a process alive: its callers' BullMQ connections do that while they run.
      socket.unref();
      socket.on("error", broken);
      socket.on("close", () => broken(new Error("the result connection to Redis closed")));
      // Sent first on the new connection; their replies are read in order before any command's.
      const hello: Promise<unknown>[] = [];
      const send = (s: string) => hello.push(new Promise((resolve, reject) => { this.pending.push({ resolve, reject }); socket.write(s); }));
      if (password !== undefined) send(username !== undefined ? `*3\r\n$4\r\nAUTH\r\n${bulk(username)}${bulk(password)}` : `*2\r\n$4\r\nAUTH\r\n${bulk(password)}`);
      if (db !== 0) send(`*2\r\n$6\r\nSELECT\r\n${bulk(String(db))}`);
      await Promise.all(hello).catch((e: Error) => { socket.destroy(); throw new NumlaneError("invalid-value", `Redis refused the result connection: ${e.message}`, "connection"); });
      return socket;
    })();
    const s = this.socket;
    s.catch(() => { if (this.socket === s) this.socket = undefined; });
    return s;
  }

  /** Parses `n` new bytes of readBuffer: replies in order, to the pending commands in order. */
  private read(n: number): void {
    const buf = this.readBuffer;
    let at = 0;
    while (at < n) {
      if (this.bulkLeft >= 0) {
        // A bulk value's bytes, then its CRLF (bulkLeft counts both).
        const data = Math.min(n - at, Math.max(0, this.bulkLeft - 2));
        if (data > 0) {
          const head = this.pending[0], bytes = buf.subarray(at, at + data);
          if (head?.sink) head.sink(bytes, this.bulkAt);
          else this.kept = this.kept ? Buffer.concat([this.kept, bytes]) : Buffer.from(bytes);
          this.bulkAt += data; this.bulkLeft -= data; at += data;
        }
        const crlf = Math.min(n - at, this.bulkLeft);
        this.bulkLeft -= crlf; at += crlf;
        if (this.bulkLeft === 0) {
          this.bulkLeft = -1;
          const v = this.kept ?? Buffer.alloc(0);
          this.kept = undefined;
          this.pending.shift()?.resolve(v);
        }
        continue;
      }
      const end = buf.indexOf(10, at);
      if (end < 0 || end >= n) { this.line += Buffer.from(buf.buffer, buf.byteOffset + at, n - at).toString("latin1"); break; }
      const line = (this.line + Buffer.from(buf.buffer, buf.byteOffset + at, end - at).toString("latin1")).replace(/\r$/, "");
      this.line = "";
      at = end + 1;
      const type = line[0], rest = line.slice(1);
      if (type === "$") {
        const length = Number(rest);
        if (length < 0) this.pending.shift()?.resolve(null);
        else { this.bulkLeft = length + 2; this.bulkAt = 0; }
      } else if (type === "-") this.pending.shift()?.reject(new ReplyError(rest));
      else if (type === ":") this.pending.shift()?.resolve(Number(rest));
      else this.pending.shift()?.resolve(rest);
    }
  }
}

/** A RESP bulk string. */
function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}
