/**
 * A Jupyter client for one kernel process (messaging spec 5.3 over ZeroMQ):
 * it picks ports, writes a connection file, spawns the kernel, and talks to
 * it — DEALER sockets for shell/control/stdin, SUB (everything) for iopub,
 * REQ for the heartbeat. Framing and HMAC come from wire.ts.
 *
 * Used by the headless runner (`reglab run`) and by kernel tests.
 *
 * Conventions:
 * - A request's iopub messages are the ones whose `parent_header.msg_id` is
 *   the request's `msg_id`; an execution is finished when BOTH its shell
 *   reply and its iopub `status: idle` have arrived (iopub and shell are
 *   different sockets, so either may come first).
 * - Readiness: kernel_info_request is resent until a reply arrives AND an
 *   iopub status for one of them has been seen (the SUB socket joins late,
 *   so early iopub messages are lost — the "slow joiner" problem).
 * - All pending requests reject with {@link KernelDiedError} (carrying the
 *   tail of the kernel's stderr) when the process exits.
 */
import { executeRequestContent } from "./messages";
import { ChildProcess, spawn } from "child_process";
import { randomBytes, randomUUID } from "crypto";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";
import * as zmq from "zeromq";
import { DisplayRegistry, NbOutput, OutputCollector, finalizeOutputs } from "../runner/outputs";
import { ConnectionInfo, Message, Signer, WireError, decode, encode, newHeader } from "./wire";
import { withTimeout } from "./with-timeout";

export type ClientChannel = "shell" | "control" | "stdin";

export interface KernelLaunch {
  /** `{connection_file}` is replaced by the connection file's path. */
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** "signal" (default): SIGINT to the process; "message": interrupt_request on control. */
  interruptMode?: "signal" | "message";
}

export interface StartOptions {
  /** Default 30 s. */
  startupTimeoutMs?: number;
}

export interface ExecuteOptions {
  /** Reject with a TimeoutError after this long (0/undefined: never). */
  timeoutMs?: number;
  /** Default true (as Jupyter): the kernel aborts queued requests after an error. */
  stopOnError?: boolean;
  silent?: boolean;
  storeHistory?: boolean;
  allowStdin?: boolean;
  onOutput?: (o: NbOutput) => void;
  /** Where display_ids live; default: the client's registry shared by all its executions. */
  displays?: DisplayRegistry;
  /** Stop waiting (reject with ExecuteAbortedError); the execution itself goes on until interrupted. */
  signal?: AbortSignal;
}

export interface ExecuteResult {
  status: "ok" | "error" | "abort";
  executionCount: number | null;
  reply: Message;
  outputs: NbOutput[];
  iopub: Message[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class TimeoutError extends Error {
  /**
   * For `execute`: the execution keeps being collected after the timeout;
   * `settled` resolves when it finishes (e.g. after an interrupt) or rejects
   * if the kernel dies. `outputs` are the outputs so far (live array).
   */
  constructor(
    message: string,
    readonly outputs: NbOutput[] = [],
    readonly settled?: Promise<ExecuteResult>,
  ) {
    super(message);
    this.name = "TimeoutError";
  }
}

/** `execute` stopped waiting because its AbortSignal fired; same fields as TimeoutError. */
export class ExecuteAbortedError extends Error {
  constructor(
    message: string,
    readonly outputs: NbOutput[],
    readonly settled: Promise<ExecuteResult>,
  ) {
    super(message);
    this.name = "ExecuteAbortedError";
  }
}

export class KernelDiedError extends Error {
  constructor(
    message: string,
    readonly exit: ExitInfo,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = "KernelDiedError";
  }
}

/** Free TCP ports on `host` (bound to port 0 then released). */
async function freePorts(n: number, host: string): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, host, () => resolve());
      });
      ports.push((s.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

const LOG_CAP = 256 * 1024;

function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function describeExit(e: ExitInfo): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Serialises sends: a zeromq v6 socket allows one send in flight. */
class Sender {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly sock: zmq.Dealer) {}
  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.sock.send(frames));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Kernels still running when this process exits are killed (they are in their own process group). */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

type Pending = { resolve: (m: Message) => void; reject: (e: Error) => void };
type IopubListener = (msg: Message) => void;

export class KernelClient {
  readonly session = randomUUID();
  readonly connectionFile: string;
  readonly connection: ConnectionInfo;
  /** The kernel's stdout and stderr, interleaved (last 256 KiB). */
  kernelLog = "";
  /** The kernel's stderr alone (last 256 KiB). */
  kernelStderr = "";
  /** Every iopub message received (last `iopubKeep`), for tests. */
  readonly iopubMessages: Message[] = [];
  iopubKeep = 10000;
  /** Resolves once when the kernel process exits. */
  readonly exited: Promise<ExitInfo>;
  /** display_id registry shared by this client's executions (one notebook run). */
  readonly displays = new DisplayRegistry();

  private readonly signer: Signer;
  private readonly sockets: { shell: zmq.Dealer; control: zmq.Dealer; stdin: zmq.Dealer; iopub: zmq.Subscriber; hb: zmq.Request };
  private readonly senders: Record<ClientChannel, Sender>;
  private readonly pending = new Map<string, Pending>();
  private readonly iopubByParent = new Map<string, IopubListener>();
  private readonly iopubListeners = new Set<IopubListener>();
  private exitInfo: ExitInfo | null = null;
  private closed = false;
  private hbBusy = false;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    conn: ConnectionInfo,
    connectionFile: string,
    private readonly interruptMode: "signal" | "message",
  ) {
    this.connection = conn;
    this.connectionFile = connectionFile;
    this.signer = new Signer(conn.key, conn.signature_scheme);
    const append = (chunk: Buffer, err: boolean) => {
      const s = chunk.toString("utf8");
      this.kernelLog = (this.kernelLog + s).slice(-LOG_CAP);
      if (err) this.kernelStderr = (this.kernelStderr + s).slice(-LOG_CAP);
    };
    proc.stdout?.on("data", (c: Buffer) => append(c, false));
    proc.stderr?.on("data", (c: Buffer) => append(c, true));
    this.exited = new Promise<ExitInfo>((resolve) => {
      proc.once("exit", (code, signal) => {
        this.exitInfo = { code, signal };
        // Let the pipes drain so the error carries the kernel's last words ('close' comes after
        // them; a grandchild holding the pipes open must not block us, hence the cap).
        let drained = false;
        proc.once("close", () => finish());
        setTimeout(() => finish(), 1000);
        const finish = () => {
          if (drained) return;
          drained = true;
          const err = this.diedError("the kernel");
          for (const p of this.pending.values()) p.reject(err);
          this.pending.clear();
          this.close();
          resolve({ code, signal });
        };
      });
    });
    // The exit is reported through `exited` and rejected requests; a spawn error ends up there too.
    proc.once("error", (e) => {
      this.kernelStderr += `\n[spawn error] ${e.message}\n`;
      this.kernelLog += `\n[spawn error] ${e.message}\n`;
    });

    const url = (port: number) => `tcp://${conn.ip}:${port}`;
    const mk = <T extends zmq.Socket>(s: T): T => {
      s.linger = 0;
      return s;
    };
    this.sockets = {
      shell: mk(new zmq.Dealer()),
      control: mk(new zmq.Dealer()),
      stdin: mk(new zmq.Dealer()),
      iopub: mk(new zmq.Subscriber()),
      hb: mk(new zmq.Request()),
    };
    this.sockets.shell.connect(url(conn.shell_port));
    this.sockets.control.connect(url(conn.control_port));
    this.sockets.stdin.connect(url(conn.stdin_port));
    this.sockets.iopub.connect(url(conn.iopub_port));
    this.sockets.iopub.subscribe();
    this.sockets.hb.connect(url(conn.hb_port));
    this.senders = {
      shell: new Sender(this.sockets.shell),
      control: new Sender(this.sockets.control),
      stdin: new Sender(this.sockets.stdin),
    };
    void this.receiveReplies(this.sockets.shell);
    void this.receiveReplies(this.sockets.control);
    void this.receiveReplies(this.sockets.stdin);
    void this.receiveIopub();
  }

  /** Spawn a kernel and wait until it answers kernel_info and publishes on iopub. */
  static async start(launch: KernelLaunch, opts: StartOptions = {}): Promise<KernelClient> {
    const ip = "127.0.0.1";
    const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5, ip);
    const conn: ConnectionInfo = {
      transport: "tcp",
      ip,
      shell_port,
      iopub_port,
      stdin_port,
      control_port,
      hb_port,
      key: randomBytes(32).toString("hex"),
      signature_scheme: "hmac-sha256",
      kernel_name: "",
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-kernel-"));
    const file = path.join(dir, "kernel.json");
    fs.writeFileSync(file, JSON.stringify(conn, null, 1), { mode: 0o600 });
    const argv = launch.argv.map((a) => a.split("{connection_file}").join(file));
    if (argv.length === 0) throw new Error("kernel argv is empty");
    const proc = spawn(argv[0], argv.slice(1), {
      cwd: launch.cwd,
      env: { ...(launch.env ?? process.env), JPY_PARENT_PID: String(process.pid) },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: a Ctrl-C in the terminal reaches only the client, which decides
      // whether to interrupt (otherwise the kernel would get the terminal's SIGINT and ours).
      detached: true,
    });
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    const client = new KernelClient(proc, dir, conn, file, launch.interruptMode ?? "signal");
    try {
      await client.waitForReady(opts.startupTimeoutMs ?? 30_000, argv);
    } catch (e) {
      client.kill();
      await client.exited;
      throw e;
    }
    return client;
  }

  private diedError(what: string): KernelDiedError {
    const exit = this.exitInfo ?? { code: null, signal: null };
    const t = tail(this.kernelStderr);
    return new KernelDiedError(
      `${what} died (${describeExit(exit)})${t ? `; its stderr ends with:\n${t}` : " with no stderr output"}`,
      exit,
      t,
    );
  }

  private async waitForReady(timeoutMs: number, argv: string[]): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ids = new Set<string>();
    let sawIopub = false;
    const listener: IopubListener = (m) => {
      const pid = (m.parent_header as { msg_id?: string }).msg_id;
      if (m.header.msg_type === "status" && pid && ids.has(pid)) sawIopub = true;
    };
    this.iopubListeners.add(listener);
    let replied = false;
    try {
      while (!(replied && sawIopub)) {
        if (this.exitInfo) throw this.diedError(`the kernel (${argv.join(" ")})`);
        const left = deadline - Date.now();
        if (left <= 0) {
          const t = tail(this.kernelStderr);
          throw new TimeoutError(
            `the kernel (${argv.join(" ")}) did not become ready within ${timeoutMs / 1000} s` +
              ` (${replied ? "it answered kernel_info but nothing arrived on iopub" : "no kernel_info_reply"})` +
              (t ? `; its stderr ends with:\n${t}` : "; it wrote nothing to stderr"),
          );
        }
        const { id, reply } = this.requestWithId("kernel_info_request", {}, "shell");
        ids.add(id);
        const step = Math.min(left, replied ? 500 : 1000);
        const got = await withTimeout(
          reply.then(() => true),
          step,
          () => false,
        ).catch((e: unknown) => {
          if (e instanceof KernelDiedError) throw this.diedError(`the kernel (${argv.join(" ")})`);
          throw e;
        });
        if (got) replied = true;
        // Give iopub a moment to deliver the status for this request.
        if (replied && !sawIopub) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      this.iopubListeners.delete(listener);
      // Late replies to the earlier attempts are simply ignored.
      for (const id of ids) this.pending.delete(id);
    }
  }

  private async receiveReplies(sock: zmq.Dealer): Promise<void> {
    try {
      for await (const frames of sock) {
        let msg: Message;
        try {
          msg = decode(this.signer, frames);
        } catch (e) {
          if (e instanceof WireError) continue; // not ours to handle; a test may look at the kernel's side
          throw e;
        }
        const pid = (msg.parent_header as { msg_id?: string }).msg_id;
        const p = pid ? this.pending.get(pid) : undefined;
        if (p) {
          this.pending.delete(pid!);
          p.resolve(msg);
        }
      }
    } catch {
      // socket closed
    }
  }

  private async receiveIopub(): Promise<void> {
    try {
      for await (const frames of this.sockets.iopub) {
        let msg: Message;
        try {
          msg = decode(this.signer, frames);
        } catch (e) {
          if (e instanceof WireError) continue;
          throw e;
        }
        this.iopubMessages.push(msg);
        if (this.iopubMessages.length > this.iopubKeep) this.iopubMessages.splice(0, this.iopubMessages.length - this.iopubKeep);
        const pid = (msg.parent_header as { msg_id?: string }).msg_id;
        if (pid) this.iopubByParent.get(pid)?.(msg);
        for (const l of this.iopubListeners) l(msg);
      }
    } catch {
      // socket closed
    }
  }

  /** Listen to every iopub message; returns an unsubscribe function. */
  onIopub(listener: (msg: Message) => void): () => void {
    this.iopubListeners.add(listener);
    return () => this.iopubListeners.delete(listener);
  }

  isAlive(): boolean {
    return this.exitInfo === null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Send already-framed frames (e.g. a badly signed message) on a channel. */
  sendRaw(channel: ClientChannel, frames: Buffer[]): Promise<void> {
    return this.senders[channel].send(frames);
  }

  /** Build and sign a message as this client would (for tests that tamper with it). */
  frame(msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}): { msgId: string; frames: Buffer[] } {
    const header = newHeader(msgType, this.session);
    return { msgId: header.msg_id, frames: encode(this.signer, { header, parent_header: {}, metadata, content }) };
  }

  private requestWithId(
    msgType: string,
    content: Record<string, unknown>,
    channel: ClientChannel,
    onIopub?: IopubListener,
  ): { id: string; reply: Promise<Message> } {
    if (this.closed || this.exitInfo) {
      return { id: "", reply: Promise.reject(this.exitInfo ? this.diedError("the kernel") : new Error("the kernel client is closed")) };
    }
    const { msgId, frames } = this.frame(msgType, content);
    if (onIopub) this.iopubByParent.set(msgId, onIopub);
    const reply = new Promise<Message>((resolve, reject) => {
      this.pending.set(msgId, { resolve, reject });
    });
    this.senders[channel].send(frames).catch((e: unknown) => {
      const p = this.pending.get(msgId);
      this.pending.delete(msgId);
      p?.reject(e instanceof Error ? e : new Error(String(e)));
    });
    return { id: msgId, reply };
  }

  /** Any request/reply pair (kernel_info, complete, inspect, is_complete, history, comm_info, shutdown...). */
  async request(
    msgType: string,
    content: Record<string, unknown> = {},
    opts: { channel?: "shell" | "control"; timeoutMs?: number } = {},
  ): Promise<Message> {
    const { id, reply } = this.requestWithId(msgType, content, opts.channel ?? "shell");
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return withTimeout(reply, timeoutMs, (): never => {
      this.pending.delete(id);
      throw new TimeoutError(`no reply to ${msgType} within ${timeoutMs / 1000} s`);
    });
  }

  /** Run code; resolves when both the execute_reply and the iopub idle status have arrived. */
  execute(code: string, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
    const iopub: Message[] = [];
    const collector = new OutputCollector(opts.displays ?? this.displays, opts.onOutput);
    let idle!: () => void;
    const idleSeen = new Promise<void>((r) => (idle = r));
    const { id, reply } = this.requestWithId(
      "execute_request",
      {
        ...executeRequestContent({
          code,
          silent: opts.silent,
          store_history: opts.storeHistory,
          allow_stdin: opts.allowStdin,
          stop_on_error: opts.stopOnError,
        }),
      },
      "shell",
      (m) => {
        iopub.push(m);
        collector.handle(m);
        if (m.header.msg_type === "status" && m.content.execution_state === "idle") idle();
      },
    );
    const died = this.exited.then(() => {
      throw this.diedError("the kernel");
    });
    const done: Promise<ExecuteResult> = Promise.race([Promise.all([reply, idleSeen]), died]).then(([r]) => {
      const st = r.content.status;
      const status = st === "ok" || st === "error" ? st : "abort";
      const count = r.content.execution_count;
      return {
        status,
        executionCount: typeof count === "number" ? count : null,
        reply: r,
        outputs: finalizeOutputs(collector.outputs),
        iopub,
      } as ExecuteResult;
    });
    const cleanup = () => {
      // Keep listening briefly: stray iopub after idle is impossible per spec, so drop at once.
      this.iopubByParent.delete(id);
    };
    done.then(cleanup, cleanup);
    const timeoutMs = opts.timeoutMs ?? 0;
    const signal = opts.signal;
    if (!(timeoutMs > 0) && !signal) return done;
    // Stopping to wait (timeout, abort) leaves the execution running; the caller gets it as `settled`.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new ExecuteAbortedError("stopped waiting for the cell", collector.outputs, done));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort);
    });
    const waited = signal ? Promise.race([done, aborted]) : done;
    return withTimeout(waited, timeoutMs, (): never => {
      throw new TimeoutError(`the cell did not finish within ${timeoutMs / 1000} s`, collector.outputs, done);
    }).finally(() => {
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    });
  }

  /** Interrupt the running cell: SIGINT (signal mode) or interrupt_request on control. */
  async interrupt(): Promise<void> {
    if (!this.isAlive()) return;
    if (this.interruptMode === "signal") {
      this.proc.kill("SIGINT");
    } else {
      await this.request("interrupt_request", {}, { channel: "control", timeoutMs: 5000 });
    }
  }

  /** One heartbeat round trip; false when no echo arrives within `timeoutMs`. */
  async heartbeat(timeoutMs = 2000): Promise<boolean> {
    if (this.hbBusy || this.closed) return false;
    this.hbBusy = true;
    const hb = this.sockets.hb;
    try {
      await hb.send(Buffer.from("ping"));
      const got = await withTimeout(
        hb.receive().then(() => true),
        timeoutMs,
        () => false,
      );
      // A REQ socket that missed its reply is stuck; the client then stops using the heartbeat.
      if (got) this.hbBusy = false;
      return got;
    } catch {
      return false;
    }
  }

  /**
   * Ask the kernel to shut down (control channel), wait up to `graceMs` for
   * the process to exit, then kill it. Always closes sockets and removes the
   * connection file.
   */
  async shutdown(opts: { restart?: boolean; graceMs?: number } = {}): Promise<ExitInfo> {
    const grace = opts.graceMs ?? 5000;
    if (this.isAlive()) {
      try {
        await this.request("shutdown_request", { restart: opts.restart ?? false }, { channel: "control", timeoutMs: grace });
      } catch {
        // no reply: the kill below takes care of it
      }
      const exited = await withTimeout(
        this.exited.then(() => true),
        grace,
        () => false,
      );
      if (!exited) this.kill();
    }
    return this.exited;
  }

  /** SIGKILL the kernel (and close everything once it has exited). */
  kill(): void {
    if (this.isAlive()) this.proc.kill("SIGKILL");
  }

  /** Close sockets and delete the connection file (the process is left alone). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of Object.values(this.sockets)) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    for (const p of this.pending.values())
      p.reject(this.exitInfo ? this.diedError("the kernel") : new Error("the kernel client was closed"));
    this.pending.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
