/**
 * A cell's output on iopub: stream writes coalesced into few `stream`
 * messages, flushed before any other output, every message under the
 * request's parent header.
 */
import type { CellIO } from "../execution/types";
import type { DisplayContent } from "../../src/display/transport";
import type { Message, MessageHeader } from "./wire";
import type { Channel } from "./server";

/** What the handler needs from the transport. */
export interface Transport {
  reply(channel: Channel, parent: Message, msgType: string, content: object, metadata?: Record<string, unknown>): Promise<void>;
  publish(parent: MessageHeader | null, msgType: string, content: object): Promise<void>;
}

export class CellOutput implements CellIO {
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

  clear(wait: boolean): void {
    if (this.silent) return;
    this.flush();
    void this.transport.publish(this.parent, "clear_output", { wait });
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
