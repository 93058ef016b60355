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
import { ConnectionInfo, Message, MessageHeader, Signer, encode, newHeader, receiveMessages } from "./wire";

export type Channel = "shell" | "control" | "stdin";

export interface ServerOptions {
  /** Kernel log (real stderr). */
  log: (line: string) => void;
  /** The stdin socket is bound elsewhere (kernel/protocol/stdin.ts's worker): do not bind it here. */
  stdinElsewhere?: boolean;
}

/** Serialises sends: a zeromq v6 socket allows one send in flight at a time. */
class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  constructor(
    private readonly sock: zmq.Router | zmq.Publisher,
    private readonly log: (line: string) => void,
    private readonly what: string,
  ) {}
  send(frames: Buffer[]): Promise<void> {
    this.tail = this.tail
      .then(() => this.sock.send(frames))
      .catch((e: unknown) => {
        this.log(`send on ${this.what} failed: ${String(e)}`);
      });
    return this.tail;
  }
  drain(): Promise<void> {
    return this.tail;
  }
}

export function endpoint(conn: ConnectionInfo, port: number): string {
  return conn.transport === "ipc" ? `ipc://${conn.ip}-${port}` : `tcp://${conn.ip}:${port}`;
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
    this.queues = {
      shell: new SendQueue(this.shell, opts.log, "shell"),
      control: new SendQueue(this.control, opts.log, "control"),
      stdin: new SendQueue(this.stdin, opts.log, "stdin"),
      iopub: new SendQueue(this.iopub, opts.log, "iopub"),
    };
  }

  async start(): Promise<void> {
    const c = this.conn;
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) s.linger = 1000;
    const stdinHere = !this.opts.stdinElsewhere;
    await Promise.all([
      this.shell.bind(endpoint(c, c.shell_port)),
      this.control.bind(endpoint(c, c.control_port)),
      stdinHere ? this.stdin.bind(endpoint(c, c.stdin_port)) : Promise.resolve(),
      this.iopub.bind(endpoint(c, c.iopub_port)),
      this.hb.bind(endpoint(c, c.hb_port)),
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
    for (const s of [this.shell, this.control, this.stdin, this.iopub, this.hb]) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}
