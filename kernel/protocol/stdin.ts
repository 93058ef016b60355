/**
 * Input from the user (Jupyter's stdin channel) and the other services a
 * running cell asks of its front end (`clearOutput`), installed for
 * src/runtime/kernel-io.ts on its global symbol, plus the global
 * `prompt(message?, default?)` that browsers and Deno's kernel provide.
 *
 * The stdin socket lives in a worker thread (stdin-worker.ts), so a
 * synchronous `prompt()` can block the main thread until the reply arrives.
 * The blocking wait runs inside `vm.runInThisContext(..., {breakOnSigint})`,
 * so an interrupt (SIGINT) ends it as it ends a busy loop. `await input()`
 * waits without blocking; an interrupt rejects it.
 */
import path from "path";
import vm from "vm";
import { Worker } from "worker_threads";
import { InterruptedError } from "../../src/runtime/interrupt";
import { KERNEL_IO, StdinNotAllowedError, type KernelIO } from "../../src/runtime/kernel-io";
import type { CellIO } from "../execution/types";
import { BindError } from "./server";
import type { ConnectionInfo, Message } from "./wire";
import { HEADER_BYTES, type FromWorker, type StdinWorkerData, type ToWorker } from "./stdin-worker";

/** The request a cell runs for: where its input_request goes and whether the front end allows it. */
export interface RunningRequest {
  msg: Message;
  allowStdin: boolean;
  io: CellIO;
}

const WAIT = Symbol.for("reglab.stdinWait");
const SHARED_BYTES = 1 << 20;

export class StdinChannel {
  private readonly worker: Worker;
  private readonly shared = new SharedArrayBuffer(HEADER_BYTES + SHARED_BYTES);
  private readonly state = new Int32Array(this.shared, 0, 2);
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  private readonly ready: Promise<void>;

  constructor(conn: ConnectionInfo, endpoint: string, session: string, log: (line: string) => void) {
    const scheme = conn.signature_scheme || "hmac-sha256";
    const data: StdinWorkerData = { endpoint, key: conn.key ?? "", scheme, session, shared: this.shared };
    this.worker = new Worker(path.join(__dirname, "stdin-worker.js"), { workerData: data });
    this.worker.unref();
    let ready!: () => void;
    let failed!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => ((ready = resolve), (failed = reject)));
    this.worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") ready();
      else if (m.type === "bindFailed") failed(new BindError("stdin", endpoint, new Error(m.error)));
      else if (m.type === "log") log(m.line);
      else {
        this.waiting.get(m.id)?.resolve(m.value);
        this.waiting.delete(m.id);
      }
    });
    this.worker.on("error", (e) => {
      log(`stdin worker failed: ${e.stack ?? String(e)}`);
      failed(new Error(`the stdin worker failed before binding ${endpoint}: ${e.message}`));
    });
  }

  /** Resolves once the stdin socket is bound; rejects (a `BindError`) if it cannot be. */
  start(): Promise<void> {
    return this.ready;
  }

  private send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  private request(req: RunningRequest, prompt: string, password: boolean): number {
    if (!req.allowStdin) throw new StdinNotAllowedError();
    const id = this.nextId++;
    const identities = req.msg.identities.map((b) => new Uint8Array(b));
    this.send({ type: "ask", id, prompt, password, identities, parent: req.msg.header });
    return id;
  }

  /** Block until the answer (an interrupt throws ERR_SCRIPT_EXECUTION_INTERRUPTED, as in a busy loop). */
  askSync(req: RunningRequest, prompt: string, password: boolean): string {
    const id = this.request(req, prompt, password);
    const g = globalThis as Record<symbol, unknown>;
    g[WAIT] = () => {
      for (;;) {
        const cur = Atomics.load(this.state, 0);
        if (cur === id) return;
        Atomics.wait(this.state, 0, cur, 250);
      }
    };
    try {
      vm.runInThisContext("globalThis[Symbol.for('reglab.stdinWait')]()", { breakOnSigint: true, filename: "reglab-stdin-wait" });
    } catch (e) {
      this.send({ type: "cancel", id });
      throw e;
    } finally {
      delete g[WAIT];
    }
    const len = Atomics.load(this.state, 1);
    if (len < 0) throw new InterruptedError("prompt()");
    return new TextDecoder().decode(new Uint8Array(this.shared, HEADER_BYTES, len).slice());
  }

  askAsync(req: RunningRequest, prompt: string, password: boolean): Promise<string> {
    const id = this.request(req, prompt, password);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  /** An interrupt: every pending `await input()` rejects, the front end's late reply is dropped. */
  cancel(): void {
    for (const [id, w] of this.waiting) {
      this.send({ type: "cancel", id });
      w.reject(new InterruptedError("input()"));
    }
    this.waiting.clear();
  }

  /** Close the socket and stop the worker (before the process exits: a live zeromq worker aborts the exit). */
  async close(): Promise<void> {
    const exited = new Promise<void>((r) => this.worker.once("exit", () => r()));
    this.send({ type: "close" });
    const t = setTimeout(() => void this.worker.terminate(), 1000);
    await exited;
    clearTimeout(t);
  }
}

/**
 * Install the services cells use (src/runtime/kernel-io.ts) and the global `prompt`.
 * `current()` is the request running now (null between cells); `stdin` null: input is refused.
 */
export function installKernelIO(current: () => RunningRequest | null, stdin: StdinChannel | null): void {
  const need = (): RunningRequest => {
    const r = current();
    if (!r || !stdin) throw new StdinNotAllowedError();
    return r;
  };
  const io: KernelIO = {
    clearOutput(wait: boolean): void {
      current()?.io.clear?.(wait);
    },
    ask: ((prompt: string, opts: { password: boolean; sync: boolean }) => {
      const r = need();
      return opts.sync ? stdin!.askSync(r, prompt, opts.password) : stdin!.askAsync(r, prompt, opts.password);
    }) as KernelIO["ask"],
  };
  const g = globalThis as Record<string | symbol, unknown>;
  g[KERNEL_IO] = io;
  /** As the browser's: the line typed, or `dflt` when it is empty. */
  g.prompt = (message?: unknown, dflt?: unknown): string => {
    const value = io.ask(message === undefined ? "" : String(message), { password: false, sync: true });
    return value === "" && dflt !== undefined ? String(dflt) : value;
  };
}
