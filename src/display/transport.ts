/**
 * How the library reaches the notebook: a display "sink" that the kernel
 * installs on a well-known global symbol. Keeping it a global (not an
 * import of kernel code) lets `src/` run in plain Node, under plain tslab,
 * and under the reglab kernel alike.
 */

/** A MIME bundle: MIME type to data (a string, or JSON for `+json` types). */
export type MimeBundle = Record<string, unknown>;

/** The content of a Jupyter `display_data` / `update_display_data` message. */
export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

/** What the kernel installs: publish a display on the current cell. */
export type DisplaySink = (content: DisplayContent, update: boolean) => void;

/** The protocol Deno's kernel uses: an object that renders itself. */
export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

/** Where the reglab kernel puts its sink. */
export const DISPLAY_SINK = Symbol.for("reglab.displaySink");

/** Set by `reglab run` for headless runs: fewer, plain-text progress updates. */
export function isHeadless(): boolean {
  return process.env.REGLAB_HEADLESS === "1" || findSink() === null;
}

/** The reglab kernel's sink, else tslab's writer, else null (plain Node). */
export function findSink(): DisplaySink | null {
  const g = globalThis as Record<symbol, unknown>;
  const own = g[DISPLAY_SINK];
  if (typeof own === "function") return own as DisplaySink;
  try {
    // Under the plain tslab kernel its writer is a module-level variable.
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: DisplaySink | null };
    if (typeof jupyter.lastWriteDisplayData === "function") return jupyter.lastWriteDisplayData;
  } catch {
    // tslab not resolvable: plain Node.
  }
  return null;
}

/**
 * Publish a bundle. Outside a kernel the text/plain part is printed, so
 * library code can call this unconditionally.
 */
export function publish(content: DisplayContent, update = false): void {
  const sink = findSink();
  if (sink) {
    sink(content, update);
    return;
  }
  if (update) return;
  const text = content.data["text/plain"];
  if (typeof text === "string") console.log(text);
}
