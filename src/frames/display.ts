/**
 * How frames show in a notebook: registered with src/display (see
 * display/renderers.ts) when this folder is imported, so display/ does not
 * depend on frames/.
 * - a danfo DataFrame or Series (recognised by its constructor name and
 *   shape, without loading danfo): `frameBundle`'s HTML table plus text;
 * - a training history (reglab's `History` from `train`, or tfjs's from
 *   `fit`): one row per epoch, one column per metric; more than
 *   `MAX_HISTORY_ROWS` epochs are thinned to evenly spaced ones, first and
 *   last kept, and the caption says so.
 */
import { registerRenderer, type ResultBundle } from "../display/renderers";
import { historyToRecords, type HistoryLike } from "./records";
import { frameBundle, type FrameShape } from "./table";

/** Epochs shown in full; longer histories are thinned to about this many evenly spaced epochs. */
export const MAX_HISTORY_ROWS = 30;

const className = (v: object) => (Object.getPrototypeOf(v)?.constructor?.name as string | undefined) ?? "";

function isDanfoFrame(v: unknown): v is FrameShape {
  if (typeof v !== "object" || v === null) return false;
  const name = className(v);
  if (name !== "DataFrame" && name !== "Series") return false;
  const f = v as Record<string, unknown>;
  return Array.isArray(f.shape) && Array.isArray(f.columns) && Array.isArray(f.values) && Array.isArray(f.index);
}

interface HistoryShape {
  epoch: number[];
  metrics?: Record<string, unknown>;
  history?: Record<string, unknown>;
  stoppedEpoch?: number | null;
}

function isHistory(v: unknown): v is HistoryShape {
  if (typeof v !== "object" || v === null || className(v) !== "History") return false;
  const h = v as Record<string, unknown>;
  const cols = h.metrics ?? h.history;
  // A history with no epochs or no metrics yet has no table: it shows as an object.
  if (!Array.isArray(h.epoch) || h.epoch.length === 0 || typeof cols !== "object" || cols === null || Array.isArray(cols)) return false;
  return Object.keys(cols).length > 0;
}

/** Row positions to show: all, or evenly spaced ones including the first and last. */
export function thinnedRows(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil((n - 1) / (max - 1));
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += step) out.push(i);
  out.push(n - 1);
  return out;
}

export function historyBundle(h: HistoryShape): ResultBundle {
  const records = historyToRecords(h as HistoryLike);
  const shown = thinnedRows(records.length, MAX_HISTORY_ROWS);
  const names = Object.keys(h.metrics ?? h.history ?? {});
  let caption = `History: ${records.length} epoch${records.length === 1 ? "" : "s"}${names.length ? ` (${names.join(", ")})` : ""}`;
  if (typeof h.stoppedEpoch === "number") caption += `, stopped early at epoch ${h.stoppedEpoch}`;
  if (shown.length < records.length) caption += `; one epoch in ${shown[1] - shown[0]} shown, and the last`;
  const b = frameBundle(
    shown.map((i) => records[i]),
    { caption, maxRows: shown.length },
  );
  return { data: { "text/html": b["text/html"], "text/plain": b["text/plain"] }, metadata: {} };
}

registerRenderer({ name: "danfo frame", render: (v) => (isDanfoFrame(v) ? { data: frameBundle(v), metadata: {} } : null) });
registerRenderer({ name: "training history", render: (v) => (isHistory(v) ? historyBundle(v) : null) });
