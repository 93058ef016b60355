/**
 * The MIME bundle for a cell's last value (its `execute_result`).
 * Simple placeholder: an object with a `[Symbol.for("Jupyter.display")]()`
 * method (Deno's protocol) renders itself; anything else is `text/plain`
 * via util.inspect, strings quoted as IPython shows them.
 * A richer version will live in src/display/.
 */
import { inspect } from "util";

export interface ResultBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

export function toMimeBundle(value: unknown): ResultBundle {
  if (value !== null && (typeof value === "object" || typeof value === "function")) {
    const render = (value as Record<symbol, unknown>)[JUPYTER_DISPLAY];
    if (typeof render === "function") {
      const out = render.call(value) as unknown;
      if (out && typeof out === "object") {
        const o = out as Record<string, unknown>;
        // Accept either a bare bundle or {data, metadata}.
        if (o.data && typeof o.data === "object") {
          return {
            data: { ...(o.data as Record<string, unknown>) },
            metadata: { ...((o.metadata as Record<string, unknown>) ?? {}) },
          };
        }
        return { data: { ...o }, metadata: {} };
      }
    }
  }
  return { data: { "text/plain": inspect(value, { depth: 4, colors: false }) }, metadata: {} };
}
