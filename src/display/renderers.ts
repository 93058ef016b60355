/**
 * Renderers other areas register for values this folder does not know:
 * src/frames registers danfo tables and training histories, so display/
 * never imports frames/ (the dependency runs one way: frames → display).
 * `toMimeBundle` asks them in registration order after a value's own
 * `[Symbol.for("Jupyter.display")]()`; the first bundle returned wins.
 */
import type { MimeBundle } from "./transport";

export interface ResultBundle {
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ValueRenderer {
  /** Names the renderer; registering the same name again replaces it. */
  name: string;
  /** A bundle for `value`, or null when the value is not of its kind. */
  render(value: unknown): ResultBundle | null;
}

const renderers: ValueRenderer[] = [];

export function registerRenderer(r: ValueRenderer): void {
  const i = renderers.findIndex((o) => o.name === r.name);
  if (i >= 0) renderers[i] = r;
  else renderers.push(r);
}

/** The first registered renderer's bundle for `value`, or null. */
export function renderRegistered(value: unknown): ResultBundle | null {
  for (const r of renderers) {
    const b = r.render(value);
    if (b) return b;
  }
  return null;
}
