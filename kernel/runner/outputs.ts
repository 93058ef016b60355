/**
 * iopub messages → nbformat 4 outputs, the way nbclient builds them.
 *
 * Conventions (nbformat 4.5 schema, messaging spec 5.3):
 * - `stream`: consecutive chunks of the same stream (stdout/stderr) merge
 *   into one output; carriage returns are resolved when the cell finishes
 *   (`finalizeOutputs`), like nbconvert's coalesce_streams: "a\rb" → "b".
 * - `display_data` / `execute_result` keep `data` and `metadata`; an
 *   `execute_result` also keeps `execution_count`. A `transient.display_id`
 *   is remembered in a {@link DisplayRegistry} (not stored in the notebook).
 * - `update_display_data` replaces `data`/`metadata` of every earlier output
 *   with that display_id, in place — in this cell or an earlier cell sharing
 *   the registry — and adds no output of its own.
 * - `clear_output`: without `wait` clears now; with `wait` clears just
 *   before the next output arrives (so a progress display does not flicker).
 * - `error`: `ename`, `evalue`, `traceback`.
 */
import type { Message } from "../protocol/wire";

export type MimeData = Record<string, unknown>;

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: string;
}
export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeData;
  metadata: Record<string, unknown>;
}
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeData;
  metadata: Record<string, unknown>;
}
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
export type NbOutput = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

/**
 * display_id → the outputs showing it. Share one registry across the cells
 * of a run so an update from a later cell reaches earlier cells' outputs.
 */
export class DisplayRegistry {
  private readonly byId = new Map<string, Array<DisplayDataOutput | ExecuteResultOutput>>();
  /** Called after outputs with `displayId` were updated in place. */
  onUpdate?: (displayId: string, outputs: ReadonlyArray<DisplayDataOutput | ExecuteResultOutput>) => void;

  add(displayId: string, out: DisplayDataOutput | ExecuteResultOutput): void {
    const list = this.byId.get(displayId) ?? [];
    list.push(out);
    this.byId.set(displayId, list);
  }

  /** Forget outputs that were cleared (they are no longer in any cell). */
  forget(outs: Iterable<NbOutput>): void {
    const gone = new Set<NbOutput>(outs);
    for (const [id, list] of this.byId) {
      const keep = list.filter((o) => !gone.has(o));
      if (keep.length) this.byId.set(id, keep);
      else this.byId.delete(id);
    }
  }

  /** Returns how many outputs were updated. */
  update(displayId: string, data: MimeData, metadata: Record<string, unknown>): number {
    const list = this.byId.get(displayId);
    if (!list) return 0;
    for (const o of list) {
      o.data = data;
      o.metadata = metadata;
    }
    this.onUpdate?.(displayId, list);
    return list.length;
  }
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Builds one cell's outputs from its iopub messages. */
export class OutputCollector {
  readonly outputs: NbOutput[] = [];
  private clearPending = false;

  constructor(
    private readonly displays: DisplayRegistry = new DisplayRegistry(),
    private readonly onOutput?: (o: NbOutput) => void,
  ) {}

  /** Feed one iopub message (already filtered to this request). */
  handle(msg: Message): void {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "stream": {
        const name = c.name === "stderr" ? "stderr" : "stdout";
        const text = typeof c.text === "string" ? c.text : String(c.text ?? "");
        this.flushClear();
        const last = this.outputs[this.outputs.length - 1];
        if (last && last.output_type === "stream" && last.name === name) {
          last.text += text;
          this.onOutput?.(last);
        } else {
          this.push({ output_type: "stream", name, text });
        }
        return;
      }
      case "display_data":
      case "execute_result": {
        this.flushClear();
        const data = obj(c.data);
        const metadata = obj(c.metadata);
        const out: DisplayDataOutput | ExecuteResultOutput =
          msg.header.msg_type === "display_data"
            ? { output_type: "display_data", data, metadata }
            : {
                output_type: "execute_result",
                execution_count: typeof c.execution_count === "number" ? c.execution_count : null,
                data,
                metadata,
              };
        const id = obj(c.transient).display_id;
        if (typeof id === "string") this.displays.add(id, out);
        this.push(out);
        return;
      }
      case "update_display_data": {
        const id = obj(c.transient).display_id;
        if (typeof id === "string") this.displays.update(id, obj(c.data), obj(c.metadata));
        return;
      }
      case "error": {
        this.flushClear();
        const tb = Array.isArray(c.traceback) ? c.traceback.map(String) : [];
        this.push({ output_type: "error", ename: String(c.ename ?? ""), evalue: String(c.evalue ?? ""), traceback: tb });
        return;
      }
      case "clear_output":
        if (c.wait === true) this.clearPending = true;
        else this.clear();
        return;
      default:
        // status, execute_input, comm_* and others carry no notebook output.
        return;
    }
  }

  private push(o: NbOutput): void {
    this.outputs.push(o);
    this.onOutput?.(o);
  }

  private flushClear(): void {
    if (this.clearPending) {
      this.clearPending = false;
      this.clear();
    }
  }

  private clear(): void {
    this.displays.forget(this.outputs);
    this.outputs.length = 0;
  }
}

/** Resolve carriage returns the way a terminal shows them: each line keeps what follows its last "\r". */
export function resolveCarriageReturns(text: string): string {
  if (!text.includes("\r")) return text;
  return text
    .replace(/\r+\n/g, "\n")
    .split("\n")
    .map((line) => {
      const trimmed = line.replace(/\r+$/, "");
      const at = trimmed.lastIndexOf("\r");
      return at < 0 ? trimmed : trimmed.slice(at + 1);
    })
    .join("\n");
}

/** Finish a cell's outputs: resolve "\r" in streams (in place) and drop streams left empty. */
export function finalizeOutputs(outputs: NbOutput[]): NbOutput[] {
  for (let i = outputs.length - 1; i >= 0; i--) {
    const o = outputs[i];
    if (o.output_type === "stream") {
      o.text = resolveCarriageReturns(o.text);
      if (o.text === "") outputs.splice(i, 1);
    }
  }
  return outputs;
}

/**
 * Truncation policy of `reglab run` for what it stores in the notebook (the
 * kernel itself sends everything to live front ends): a stream output of
 * more than `maxLines` lines keeps its first `maxLines - floor(maxLines / 5)`
 * and last `floor(maxLines / 5)` lines, with one marker line between them
 * saying how many were dropped. `maxLines` 0 keeps everything. Returns the
 * number of lines dropped; outputs are changed in place.
 */
export function truncateStreams(outputs: NbOutput[], maxLines: number): number {
  if (!(maxLines > 0)) return 0;
  const tail = Math.floor(maxLines / 5);
  const head = maxLines - tail;
  let dropped = 0;
  for (const o of outputs) {
    if (o.output_type !== "stream") continue;
    const lines = o.text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
    if (lines.length <= maxLines) continue;
    const k = lines.length - head - tail;
    dropped += k;
    const marker = `… ${k.toLocaleString("en-US")} lines truncated ` +
      `(reglab run keeps the first ${head} and last ${tail} lines of a stream; --max-stream-lines) …\n`;
    o.text = lines.slice(0, head).join("") + marker + lines.slice(lines.length - tail).join("");
  }
  return dropped;
}
