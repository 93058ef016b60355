/**
 * The Jupyter request handler: one serial queue for shell requests, control
 * requests answered at once, and iopub status/outputs that always carry the
 * parent header of the request that produced them (including late output of
 * a cell and errors of an interrupted one).
 *
 * Error policy (messaging spec, as ipykernel): when an execute_request fails
 * and it had `stop_on_error: true` (the default), the execute_requests
 * already queued at that moment are answered `aborted`; later ones run.
 */
import type { CellExecutor, CellIO } from "../execution/types";
import type { DisplayContent } from "../../src/display/transport";
import { toMimeBundle } from "../execution/bundle";
import type { Message, MessageHeader } from "./wire";
import { PROTOCOL_VERSION } from "./wire";
import type { Channel } from "./server";

/** What the handler needs from the transport. */
export interface Transport {
  reply(channel: Channel, parent: Message, msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>): Promise<void>;
  publish(parent: MessageHeader | null, msgType: string, content: Record<string, unknown>): Promise<void>;
}

export interface HandlerOptions {
  log: (line: string) => void;
  /**
   * Point process.stdout/stderr at a cell's output: the handler owns each request's output, so
   * it points the streams there before the cell runs (late writes go to the most recent cell).
   */
  redirectStreams?: (io: CellIO) => void;
  /** Called after shutdown_reply has been sent. */
  onShutdown: (restart: boolean) => void;
  implementationVersion: string;
  languageVersion: string;
}

interface Queued {
  channel: Channel;
  msg: Message;
}

/** Coalesces stream writes into few `stream` messages; flushed before any other output. */
class CellOutput implements CellIO {
  private buf: { name: "stdout" | "stderr"; text: string } | null = null;
  private timer: NodeJS.Immediate | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly parent: MessageHeader,
    private readonly silent: boolean,
  ) {}

  private write(name: "stdout" | "stderr", text: string): void {
    if (this.silent || !text) return;
    if (this.buf && this.buf.name !== name) this.flush();
    if (this.buf) this.buf.text += text;
    else this.buf = { name, text };
    if (this.buf.text.length > 65536) this.flush(false);
    else if (!this.timer) this.timer = setImmediate(() => this.flush(false));
  }

  stdout(text: string): void {
    this.write("stdout", text);
  }
  stderr(text: string): void {
    this.write("stderr", text);
  }

  display(content: DisplayContent, update: boolean): void {
    if (this.silent) return;
    this.flush();
    void this.transport.publish(this.parent, update ? "update_display_data" : "display_data", {
      data: content.data,
      metadata: content.metadata ?? {},
      transient: content.transient ?? {},
    });
  }

  /**
   * Publish the buffered text. Intermediate flushes (`final` false) keep a trailing high
   * surrogate for the next write, so a character outside the BMP (emoji) is never split
   * across two stream messages (a lone surrogate would not survive UTF-8 in front ends).
   */
  flush(final = true): void {
    if (this.timer) {
      clearImmediate(this.timer);
      this.timer = null;
    }
    const b = this.buf;
    this.buf = null;
    if (!b) return;
    let text = b.text;
    const last = text.charCodeAt(text.length - 1);
    if (!final && last >= 0xd800 && last <= 0xdbff) {
      this.buf = { name: b.name, text: text.slice(-1) };
      text = text.slice(0, -1);
    }
    if (text) void this.transport.publish(this.parent, "stream", { name: b.name, text });
  }
}

export class KernelHandler {
  private readonly queue: Queued[] = [];
  private readonly aborted = new Set<string>();
  private running = false;
  private executionCount = 0;
  private shuttingDown = false;

  constructor(
    private readonly executor: CellExecutor,
    private readonly transport: Transport,
    private readonly opts: HandlerOptions,
  ) {}

  /** Entry point for every verified message. */
  onMessage(channel: Channel, msg: Message): void {
    if (this.shuttingDown) return;
    if (channel === "stdin") {
      this.opts.log(`ignored ${msg.header.msg_type} on stdin (input() is not supported)`);
      return;
    }
    if (channel === "control") {
      void this.withStatus(msg, () => this.dispatch(channel, msg));
      return;
    }
    this.queue.push({ channel, msg });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        const { channel, msg } = item;
        if (this.shuttingDown) break;
        await this.withStatus(msg, () => this.dispatch(channel, msg));
      }
    } finally {
      this.running = false;
    }
  }

  private async withStatus(msg: Message, body: () => Promise<void>): Promise<void> {
    void this.transport.publish(msg.header, "status", { execution_state: "busy" });
    try {
      await body();
    } catch (e) {
      this.opts.log(`failed handling ${msg.header.msg_type}: ${e instanceof Error ? e.stack : String(e)}`);
    } finally {
      void this.transport.publish(msg.header, "status", { execution_state: "idle" });
    }
  }

  private async dispatch(channel: Channel, msg: Message): Promise<void> {
    const c = msg.content as Record<string, unknown>;
    const reply = (type: string, content: Record<string, unknown>) => this.transport.reply(channel, msg, type, content);
    switch (msg.header.msg_type) {
      case "kernel_info_request":
        await reply("kernel_info_reply", this.kernelInfo());
        return;
      case "execute_request":
        if (this.aborted.delete(msg.header.msg_id)) {
          await this.transport.reply(channel, msg, "execute_reply", { status: "aborted", execution_count: this.executionCount }, { status: "aborted" });
          return;
        }
        await this.execute(channel, msg);
        return;
      case "complete_request": {
        const code = String(c.code ?? "");
        const r = this.executor.complete(code, numberOr(c.cursor_pos, code.length));
        await reply("complete_reply", { status: "ok", matches: r.matches, cursor_start: r.cursorStart, cursor_end: r.cursorEnd, metadata: {} });
        return;
      }
      case "inspect_request": {
        const code = String(c.code ?? "");
        const r = this.executor.inspect(code, numberOr(c.cursor_pos, code.length), numberOr(c.detail_level, 0));
        await reply("inspect_reply", { status: "ok", found: r.found, data: r.data, metadata: {} });
        return;
      }
      case "is_complete_request": {
        const r = this.executor.isComplete(String(c.code ?? ""));
        await reply("is_complete_reply", r.status === "incomplete" ? { status: r.status, indent: r.indent ?? "" } : { status: r.status });
        return;
      }
      case "comm_info_request":
        await reply("comm_info_reply", { status: "ok", comms: {} });
        return;
      case "history_request":
        await reply("history_reply", { status: "ok", history: [] });
        return;
      case "interrupt_request":
        this.executor.interrupt();
        await reply("interrupt_reply", { status: "ok" });
        return;
      case "shutdown_request": {
        const restart = c.restart === true;
        this.shuttingDown = true;
        await reply("shutdown_reply", { status: "ok", restart });
        this.opts.onShutdown(restart);
        return;
      }
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        // No comm targets: ignore, as ipykernel does for unknown targets.
        return;
      default:
        this.opts.log(`ignored unknown message type ${msg.header.msg_type} on ${channel}`);
    }
  }

  private kernelInfo(): Record<string, unknown> {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "reglab",
      implementation_version: this.opts.implementationVersion,
      language_info: {
        name: "typescript",
        version: this.opts.languageVersion,
        mimetype: "text/typescript",
        file_extension: ".ts",
        // As tslab: enables TypeScript highlighting in Notebook 6 and JupyterLab.
        codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
      },
      banner: `reglab ${this.opts.implementationVersion}: TypeScript (tslab) with TensorFlow.js for Deep Learning chapter 7`,
      help_links: [],
    };
  }

  private async execute(channel: Channel, msg: Message): Promise<void> {
    const c = msg.content as Record<string, unknown>;
    const code = String(c.code ?? "");
    const silent = c.silent === true;
    const storeHistory = silent ? false : c.store_history !== false;
    const stopOnError = c.stop_on_error !== false;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent) void this.transport.publish(msg.header, "execute_input", { code, execution_count: count });

    const io = new CellOutput(this.transport, msg.header, silent);
    this.opts.redirectStreams?.(io);
    let outcome;
    try {
      outcome = await this.executor.run(code, io);
    } catch (e) {
      // The seam promises not to throw; treat it as a kernel bug but keep going.
      outcome = { status: "error" as const, ename: "InternalError", evalue: String(e), traceback: [`InternalError: ${e instanceof Error ? e.stack : String(e)}`] };
    }
    io.flush();

    if (outcome.status === "ok") {
      if (outcome.hasValue && !silent) {
        let bundle;
        try {
          bundle = toMimeBundle(outcome.value);
        } catch (e) {
          bundle = { data: { "text/plain": `<value could not be displayed: ${String(e)}>` }, metadata: {} };
        }
        void this.transport.publish(msg.header, "execute_result", { execution_count: count, data: bundle.data, metadata: bundle.metadata });
      }
      await this.transport.reply(channel, msg, "execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: {} }, { status: "ok" });
      return;
    }

    const { ename, evalue, traceback } = outcome;
    if (!silent) void this.transport.publish(msg.header, "error", { ename, evalue, traceback });
    if (stopOnError) {
      // Let ZeroMQ deliver requests already sent to us, so "already queued" means sent before the failure.
      await new Promise((r) => setImmediate(r));
      for (const q of this.queue) if (q.msg.header.msg_type === "execute_request") this.aborted.add(q.msg.header.msg_id);
    }
    await this.transport.reply(
      channel,
      msg,
      "execute_reply",
      { status: "error", execution_count: count, ename, evalue, traceback, payload: [], user_expressions: {} },
      { status: "error" },
    );
  }
}

function numberOr(v: unknown, dflt: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : dflt;
}
