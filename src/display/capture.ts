/**
 * What `%%capture name` keeps: the cell's stdout, stderr and displays in
 * the order they came, and `show()` to replay them into the current cell.
 */
import { publish, type DisplayContent } from "./transport";

export type CapturedItem =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "display"; content: DisplayContent; update: boolean };

export class CapturedOutput {
  readonly outputs: CapturedItem[] = [];

  /** All captured stdout text. */
  get stdout(): string {
    return this.streamText("stdout");
  }

  /** All captured stderr text. */
  get stderr(): string {
    return this.streamText("stderr");
  }

  /** The captured displays' bundles, in order. */
  get displays(): DisplayContent[] {
    return this.outputs.flatMap((o) => (o.type === "display" ? [o.content] : []));
  }

  /** Replay everything into the current cell (streams via process.stdout/stderr, displays via publish). */
  show(): void {
    for (const o of this.outputs) {
      if (o.type === "stream") (o.name === "stdout" ? process.stdout : process.stderr).write(o.text);
      else publish(o.content, o.update);
    }
  }

  private streamText(name: "stdout" | "stderr"): string {
    return this.outputs.map((o) => (o.type === "stream" && o.name === name ? o.text : "")).join("");
  }

  /** @internal used by the kernel's %%capture */
  add(item: CapturedItem): void {
    const last = this.outputs[this.outputs.length - 1];
    if (item.type === "stream" && last && last.type === "stream" && last.name === item.name) last.text += item.text;
    else this.outputs.push(item);
  }
}
