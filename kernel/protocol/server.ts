/**
 * The kernel's ZeroMQ sockets (Jupyter messaging spec 5.3): ROUTER for
 * shell, control and stdin, PUB for iopub, REP for the heartbeat. All bind
 * only to the connection file's `ip`. Every incoming message is decoded and
 * HMAC-verified with wire.ts; invalid ones are logged and dropped (never
 * handled, never answered). As jupyter_client's Session, a signature seen
 * before (an exact replay of a captured message) is rejected too; the last
 * 65,536 signatures are remembered.
 */
import * as zmq from "zeromq";
import { SendQueue } from "./send-queue";
import { ConnectionInfo, Message, MessageHeader, Signer, encode, newHeader, receiveMessages } from "./wire";

export type Channel = "shell" | "control" | "stdin";

export interface ServerOptions {
  /** Kernel log (real stderr). */
  log: (line: string) => void;
  /** The stdin socket is bound elsewhere (kernel/protocol/stdin.ts's worker): do not bind it here. */
  stdinElsewhere?: boolean;
}

export function endpoint(conn: ConnectionInfo, port: number): string {
  return conn.transport === "ipc" ? `ipc://${conn.ip}-${port}` : `tcp://${conn.ip}:${port}`;
}

/**
 * A socket could not bind to the port the connection file names, most often because another
 * process holds it: clients choose free ports and release them before the kernel binds, so a
 * port can be taken in between. The kernel must then exit (not linger half-bound and silent),
 * so that its client sees it die and can restart it.
 */
export class BindError extends Error {
  constructor(
    readonly socket: string,
    readonly endpoint: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`cannot bind the ${socket} socket to ${endpoint}: ${why}`);
    this.name = "BindError";
  }
}

export class KernelServer {
  readonly session: string;
  private readonly signer: Signer;
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly stdin = new zmq.Router();
  private readonly iopub = new zmq.Publisher();
  private readonly hb = new zmq.Reply();
  private readonly queues: Record<Channel | "iopub", SendQueue>;
  private closed = false;
  /** Signatures of accepted messages, oldest first (insertion order), for replay rejection. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly conn: ConnectionInfo,
    private readonly onMessage: (channel: Channel, msg: Message) => void,
    private readonly opts: ServerOptions,
    session: string,
  ) {
    this.session = session;
    this.signer = new Signer(conn.key ?? "", conn.signature_scheme || "hmac-sha256");
    const logFailure = (what: string) => (e: unknown) => opts.log(`send on ${what} failed: ${String(e)}`);
    this.queues = {
      shell: new SendQueue(this.shell, logFailure("shell")),
      control: new SendQueue(this.control, logFailure("control")),
      stdin: new SendQueue(this.stdin, logFailure("stdin")),
      iopub: new SendQueue(this.iopub, logFailure("iopub")),
    };
  }

  /** Bind every socket, then start receiving; a socket that cannot bind rejects with a `BindError` naming it. */
  async start(): Promise<void> {
    const c = this.conn;
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.linger = 1000;
    const stdinHere = !this.opts.stdinElsewhere;
    const bind = (what: string, sock: zmq.Socket, port: number) =>
      sock.bind(endpoint(c, port)).catch((e: unknown) => Promise.reject(new BindError(what, endpoint(c, port), e)));
    await Promise.all([
      bind("shell", this.shell, c.shell_port),
      bind("control", this.control, c.control_port),
      stdinHere ? bind("stdin", this.stdin, c.stdin_port) : Promise.resolve(),
      bind("iopub", this.iopub, c.iopub_port),
      bind("heartbeat", this.hb, c.hb_port),
    ]);
    void this.receive("shell", this.shell);
    void this.receive("control", this.control);
    if (stdinHere) void this.receive("stdin", this.stdin);
    void this.heartbeat();
  }

  private async receive(channel: Channel, sock: zmq.Router): Promise<void> {
    const reject = (why: string) => this.opts.log(`rejected a message on ${channel}: ${why}`);
    const deliver = (msg: Message, frames: Buffer[]) => {
      if (!this.fresh(frames)) return reject("duplicate signature (a replayed message)");
      try {
        this.onMessage(channel, msg);
      } catch (e) {
        this.opts.log(`handler failed on ${msg.header.msg_type}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    };
    try {
      await receiveMessages(sock, this.signer, deliver, (e) => reject(e.message));
    } catch (e) {
      if (!this.closed) this.opts.log(`${channel} socket stopped: ${String(e)}`);
    }
  }

  /** False if this signed message was seen before; unsigned sessions (empty key) are not checked. */
  private fresh(frames: Buffer[]): boolean {
    if (!this.conn.key) return true;
    const at = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
    const sig = frames[at + 1]?.toString() ?? "";
    if (this.seen.has(sig)) return false;
    this.seen.add(sig);
    if (this.seen.size > 65536) {
      // Forget the oldest 10% at once (as jupyter_client culls its digest history).
      let n = 6554;
      for (const old of this.seen) {
        if (n-- <= 0) break;
        this.seen.delete(old);
      }
    }
    return true;
  }

  private async heartbeat(): Promise<void> {
    try {
      for await (const frames of this.hb) await this.hb.send(frames);
    } catch (e) {
      if (!this.closed) this.opts.log(`heartbeat stopped: ${String(e)}`);
    }
  }

  /** Reply to `parent` on the channel it came from. */
  reply(
    channel: Channel,
    parent: Message,
    msgType: string,
    content: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    const frames = encode(this.signer, {
      identities: parent.identities,
      header: newHeader(msgType, this.session),
      parent_header: parent.header,
      metadata,
      content,
    });
    return this.queues[channel].send(frames);
  }

  /** Publish on iopub with `parent` as the parent header (null: no parent). */
  publish(parent: MessageHeader | null, msgType: string, content: Record<string, unknown>): Promise<void> {
    const frames = encode(this.signer, {
      // The topic; clients subscribe to everything.
      identities: [Buffer.from(`kernel.${this.session}.${msgType}`)],
      header: newHeader(msgType, this.session),
      parent_header: parent ?? {},
      metadata: {},
      content,
    });
    return this.queues.iopub.send(frames);
  }

  /** Wait until every queued message has been handed to ZeroMQ. */
  async drain(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.drain()));
  }

  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    // close() is idempotent in zeromq v6: closing a socket twice is fine.
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.close();
  }
}
