/**
 * A Jupyter client for one kernel process (messaging spec 5.3 over ZeroMQ):
 * DEALER sockets for shell/control/stdin, SUB (everything) for iopub, REQ for
 * the heartbeat. Framing and HMAC come from wire.ts, launching from
 * kernel-process.ts. It speaks the protocol only: a request's iopub messages
 * are handed to the caller as they are; turning them into notebook outputs is
 * the runner's job (kernel/runner/execute-cell.ts).
 *
 * Used by the headless runner (`reglab run`), the bench and kernel tests.
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
import { randomUUID } from "crypto";
import fs from "fs";
import * as zmq from "zeromq";
import { type ExitInfo, type KernelLaunch, ProcessOutput, type LaunchedKernel, describeExit, launchKernel } from "./kernel-process";
import { ExecuteAbortedError, KernelDiedError, type SettledExecution, TimeoutError } from "./client-errors";
import { executeRequestContent } from "./messages";
import { SendQueue } from "./send-queue";
import { ConnectionInfo, Message, Signer, encode, newHeader, receiveMessages } from "./wire";
import { withTimeout } from "./with-timeout";

export type { ExitInfo, KernelLaunch } from "./kernel-process";
export { ExecuteAbortedError, KernelDiedError, TimeoutError } from "./client-errors";

export type ClientChannel = "shell" | "control" | "stdin";

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
  /** Each iopub message of this request, as it arrives. */
  onIopub?: (msg: Message) => void;
  /** Stop waiting (reject with ExecuteAbortedError); the execution itself goes on until interrupted. */
  signal?: AbortSignal;
}

/** How an execution ended: its reply and its iopub messages, in arrival order. */
export type ExecuteReply = SettledExecution;

/** Launches of a kernel whose port was taken before it could bind it. */
const PORT_ATTEMPTS = 3;

type Pending = { resolve: (m: Message) => void; reject: (e: Error) => void };
type IopubListener = (msg: Message) => void;

export class KernelClient {
  readonly session = randomUUID();
  readonly connectionFile: string;
  readonly connection: ConnectionInfo;
  /** Resolves once when the kernel process exits. */
  readonly exited: Promise<ExitInfo>;

  private readonly proc: LaunchedKernel["proc"];
  private readonly dir: string;
  private readonly output: ProcessOutput;
  private readonly signer: Signer;
  private readonly sockets: { shell: zmq.Dealer; control: zmq.Dealer; stdin: zmq.Dealer; iopub: zmq.Subscriber; hb: zmq.Request };
  private readonly senders: Record<ClientChannel, SendQueue>;
  private readonly pending = new Map<string, Pending>();
  private readonly iopubByParent = new Map<string, IopubListener>();
  private readonly iopubListeners = new Set<IopubListener>();
  private exitInfo: ExitInfo | null = null;
  private closed = false;
  private hbBusy = false;

  private constructor(
    launched: LaunchedKernel,
    private readonly interruptMode: "signal" | "message",
  ) {
    const { proc, conn } = launched;
    this.proc = proc;
    this.dir = launched.dir;
    this.connection = conn;
    this.connectionFile = launched.connectionFile;
    this.signer = new Signer(conn.key, conn.signature_scheme);
    this.output = new ProcessOutput(proc);
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
    proc.once("error", (e) => this.output.append(`\n[spawn error] ${e.message}\n`, true));

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
      shell: new SendQueue(this.sockets.shell),
      control: new SendQueue(this.sockets.control),
      stdin: new SendQueue(this.sockets.stdin),
    };
    void this.receive(this.sockets.shell, (m) => this.onReply(m));
    void this.receive(this.sockets.control, (m) => this.onReply(m));
    void this.receive(this.sockets.stdin, (m) => this.onReply(m));
    void this.receive(this.sockets.iopub, (m) => this.onIopubMessage(m));
  }

  /**
   * Spawn a kernel and wait until it answers kernel_info and publishes on iopub. The ports are
   * free when chosen but released for the kernel to bind, so another process can take one first:
   * a kernel that exits saying its address is in use is launched again on new ports (3 tries).
   */
  static async start(launch: KernelLaunch, opts: StartOptions = {}): Promise<KernelClient> {
    for (let attempt = 1; ; attempt++) {
      const launched = await launchKernel(launch);
      const client = new KernelClient(launched, launch.interruptMode ?? "signal");
      try {
        await client.waitForReady(opts.startupTimeoutMs ?? 30_000, launched.argv);
        return client;
      } catch (e) {
        client.kill();
        await client.exited;
        // Read after `exited`: by then the pipes have drained (the error may predate its last words).
        const portTaken = e instanceof KernelDiedError && /address already in use/i.test(client.kernelStderr);
        if (!portTaken || attempt >= PORT_ATTEMPTS) throw e;
      }
    }
  }

  /** The kernel's stderr (its last 256 KiB). */
  get kernelStderr(): string {
    return this.output.stderr;
  }

  private diedError(what: string): KernelDiedError {
    const exit = this.exitInfo ?? { code: null, signal: null };
    const t = this.output.stderrTail();
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
          const t = this.output.stderrTail();
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

  /** Deliver every message arriving on `sock` until it closes; foreign or badly signed ones are dropped. */
  private async receive(sock: zmq.Dealer | zmq.Subscriber, deliver: (msg: Message) => void): Promise<void> {
    // Not ours to report: a test may look at what the kernel's side made of it.
    const ignore = () => undefined;
    try {
      await receiveMessages(sock, this.signer, deliver, ignore);
    } catch (e) {
      // Closing a socket ends its iterator with an error; anything else while open is a bug worth seeing.
      if (!this.closed) process.emitWarning(`kernel client: receiving failed: ${String(e)}`);
    }
  }

  private onReply(msg: Message): void {
    const pid = (msg.parent_header as { msg_id?: string }).msg_id;
    const p = pid ? this.pending.get(pid) : undefined;
    if (p) {
      this.pending.delete(pid!);
      p.resolve(msg);
    }
  }

  private onIopubMessage(msg: Message): void {
    const pid = (msg.parent_header as { msg_id?: string }).msg_id;
    const listeners = [...(pid ? [this.iopubByParent.get(pid)] : []), ...this.iopubListeners];
    for (const l of listeners) {
      // A caller's listener that throws must not end the iopub loop: every later request would hang.
      try {
        l?.(msg);
      } catch (e) {
        process.emitWarning(`kernel client: an iopub listener failed on ${msg.header.msg_type}: ${String(e)}`);
      }
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

  /** Send frames framed elsewhere (a test's badly signed message, a proxy's) on a channel, in order with this client's own. */
  sendRaw(channel: ClientChannel, frames: Buffer[]): Promise<void> {
    return this.senders[channel].send(frames);
  }

  private frame(
    msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}
  ): { msgId: string; frames: Buffer[] } {
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
  execute(code: string, opts: ExecuteOptions = {}): Promise<ExecuteReply> {
    const iopub: Message[] = [];
    let idle!: () => void;
    const idleSeen = new Promise<void>((r) => (idle = r));
    const content = executeRequestContent({
      code,
      silent: opts.silent,
      store_history: opts.storeHistory,
      allow_stdin: opts.allowStdin,
      stop_on_error: opts.stopOnError,
    });
    const { id, reply } = this.requestWithId("execute_request", { ...content }, "shell", (m) => {
      iopub.push(m);
      opts.onIopub?.(m);
      if (m.header.msg_type === "status" && m.content.execution_state === "idle") idle();
    });
    const died = this.exited.then(() => {
      throw this.diedError("the kernel");
    });
    const done: Promise<ExecuteReply> = Promise.race([Promise.all([reply, idleSeen]), died]).then(([r]) => {
      const st = r.content.status;
      const count = r.content.execution_count;
      return {
        status: st === "ok" || st === "error" ? st : "abort",
        executionCount: typeof count === "number" ? count : null,
        reply: r,
        iopub,
      };
    });
    // Stray iopub after idle is impossible per spec, so stop routing at once.
    const cleanup = () => this.iopubByParent.delete(id);
    done.then(cleanup, cleanup);
    const timeoutMs = opts.timeoutMs ?? 0;
    const signal = opts.signal;
    if (!(timeoutMs > 0) && !signal) return done;
    // Stopping to wait (timeout, abort) leaves the execution running; the caller gets it as `settled`.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new ExecuteAbortedError("stopped waiting for the cell", iopub, done));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort);
    });
    const waited = signal ? Promise.race([done, aborted]) : done;
    return withTimeout(waited, timeoutMs, (): never => {
      throw new TimeoutError(`the cell did not finish within ${timeoutMs / 1000} s`, iopub, done);
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
    // close() is idempotent in zeromq v6: closing a socket twice is fine.
    for (const s of Object.values(this.sockets)) s.close();
    for (const p of this.pending.values())
      p.reject(this.exitInfo ? this.diedError("the kernel") : new Error("the kernel client was closed"));
    this.pending.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
