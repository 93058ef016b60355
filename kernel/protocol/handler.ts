/**
 * The Jupyter request handler: one serial queue for shell requests, control
 * requests answered at once, and iopub status/outputs that always carry the
 * parent header of the request that produced them (including late output of
 * a cell and errors of an interrupted one).
 *
 * Error policy (messaging spec, as ipykernel): when an execute_request fails
 * and it had `stop_on_error: true` (the default), the execute_requests
 * already queued at that moment are answered `aborted`; later ones run.
 * Request contents are read with kernel/protocol/messages.ts's parsers (the
 * spec's defaults in one place).
 */
import type { CellExecutor, CellIO, CellOutcome } from "../execution/types";
import { toMimeBundle } from "../execution/bundle";
import type { Message } from "./wire";
import { PROTOCOL_VERSION } from "./wire";
import type { Channel } from "./server";
import { CellOutput, type Transport } from "./cell-output";
import { HistoryStore } from "./history";
import type { RunningRequest } from "./stdin";
import {
  parseCompleteRequest,
  parseExecuteRequest,
  parseHistoryRequest,
  parseInspectRequest,
  parseIsCompleteRequest,
  parseShutdownRequest,
  type CompleteReply,
  type ExecuteReply,
  type HistoryReply,
  type InspectReply,
  type IsCompleteReply,
  type KernelInfoReply,
} from "./messages";

export type { Transport } from "./cell-output";

export interface HandlerOptions {
  log: (line: string) => void;
  /**
   * Point process.stdout/stderr at a cell's output: the handler owns each request's output, so
   * it points the streams there before the cell runs (late writes go to the most recent cell).
   */
  redirectStreams?: (io: CellIO) => void;
  /** Called after shutdown_reply has been sent. */
  onShutdown: (restart: boolean) => void;
  /** Called on interrupt_request, besides the executor's interrupt (e.g. to end a wait for input). */
  onInterrupt?: () => void;
  /** Where history_request is answered from (default: this session, in memory). */
  history?: HistoryStore;
  implementationVersion: string;
  languageVersion: string;
}

interface Queued {
  channel: Channel;
  msg: Message;
}

export class KernelHandler {
  private readonly queue: Queued[] = [];
  private readonly aborted = new Set<string>();
  private running = false;
  private executionCount = 0;
  private shuttingDown = false;
  private readonly history: HistoryStore;
  /** The execute_request running now, for input_request and clear_output. */
  private runningRequest: RunningRequest | null = null;

  constructor(
    private readonly executor: CellExecutor,
    private readonly transport: Transport,
    private readonly opts: HandlerOptions,
  ) {
    this.history = opts.history ?? new HistoryStore(null);
  }

  /** The request whose cell is running (null between cells). */
  currentRequest(): RunningRequest | null {
    return this.runningRequest;
  }

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
    const c = msg.content;
    const reply = (type: string, content: object) => this.transport.reply(channel, msg, type, content);
    switch (msg.header.msg_type) {
      case "kernel_info_request":
        await reply("kernel_info_reply", this.kernelInfo());
        return;
      case "execute_request":
        if (this.aborted.delete(msg.header.msg_id)) {
          const aborted: ExecuteReply = { status: "aborted", execution_count: this.executionCount };
          await this.transport.reply(channel, msg, "execute_reply", aborted, { status: "aborted" });
          return;
        }
        await this.execute(channel, msg);
        return;
      case "complete_request": {
        const req = parseCompleteRequest(c);
        const r = this.executor.complete(req.code, req.cursor_pos);
        const content: CompleteReply = {
          status: "ok",
          matches: r.matches,
          cursor_start: r.cursorStart,
          cursor_end: r.cursorEnd,
          metadata: {},
        };
        await reply("complete_reply", content);
        return;
      }
      case "inspect_request": {
        const req = parseInspectRequest(c);
        const r = this.executor.inspect(req.code, req.cursor_pos, req.detail_level);
        const content: InspectReply = { status: "ok", found: r.found, data: r.data, metadata: {} };
        await reply("inspect_reply", content);
        return;
      }
      case "is_complete_request": {
        const r = this.executor.isComplete(parseIsCompleteRequest(c).code);
        const content: IsCompleteReply = r.status === "incomplete" ? { status: r.status, indent: r.indent ?? "" } : { status: r.status };
        await reply("is_complete_reply", content);
        return;
      }
      case "comm_info_request":
        await reply("comm_info_reply", { status: "ok", comms: {} });
        return;
      case "history_request": {
        const content: HistoryReply = { status: "ok", history: this.history.query(parseHistoryRequest(c)) };
        await reply("history_reply", content);
        return;
      }
      case "interrupt_request":
        this.opts.onInterrupt?.();
        this.executor.interrupt();
        await reply("interrupt_reply", { status: "ok" });
        return;
      case "shutdown_request": {
        const { restart } = parseShutdownRequest(c);
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

  private kernelInfo(): KernelInfoReply {
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
    const req = parseExecuteRequest(msg.content);
    const { code, silent } = req;
    if (req.store_history) this.executionCount++;
    const count = this.executionCount;
    // Awaited: handed to ZeroMQ before the cell's synchronous part can block the thread.
    if (!silent) await this.transport.publish(msg.header, "execute_input", { code, execution_count: count });

    const io = new CellOutput(this.transport, msg.header, silent);
    this.opts.redirectStreams?.(io);
    this.runningRequest = { msg, allowStdin: req.allow_stdin, io };
    let outcome: CellOutcome;
    try {
      outcome = await this.executor.run(code, io);
    } catch (e) {
      // The seam promises not to throw; treat it as a kernel bug but keep going.
      const traceback = [`InternalError: ${e instanceof Error ? e.stack : String(e)}`];
      outcome = { status: "error", ename: "InternalError", evalue: String(e), traceback };
    } finally {
      this.runningRequest = null;
    }
    io.flush();

    if (outcome.status === "ok") {
      let shown: string | null = null;
      if (outcome.hasValue && !silent) {
        let bundle;
        try {
          bundle = toMimeBundle(outcome.value);
        } catch (e) {
          bundle = { data: { "text/plain": `<value could not be displayed: ${String(e)}>` }, metadata: {} };
        }
        const plain = bundle.data["text/plain"];
        shown = typeof plain === "string" ? plain : null;
        void this.transport.publish(msg.header, "execute_result", { execution_count: count, data: bundle.data, metadata: bundle.metadata });
      }
      if (req.store_history) this.history.add(count, code, shown);
      const ok: ExecuteReply = { status: "ok", execution_count: count, payload: outcome.payload ?? [], user_expressions: {} };
      await this.transport.reply(channel, msg, "execute_reply", ok, { status: "ok" });
      return;
    }

    if (req.store_history) this.history.add(count, code, null);
    const { ename, evalue, traceback } = outcome;
    if (!silent) void this.transport.publish(msg.header, "error", { ename, evalue, traceback });
    if (req.stop_on_error) {
      // Let ZeroMQ deliver requests already sent to us, so "already queued" means sent before the failure.
      await new Promise((r) => setImmediate(r));
      for (const q of this.queue) if (q.msg.header.msg_type === "execute_request") this.aborted.add(q.msg.header.msg_id);
    }
    const err: ExecuteReply = { status: "error", execution_count: count, ename, evalue, traceback, payload: [], user_expressions: {} };
    await this.transport.reply(channel, msg, "execute_reply", err, { status: "error" });
  }
}
