/**
 * Training histories as per-epoch records, without loading danfo.
 *
 * Accepted shapes (all normalised to `Array<{epoch, ...metrics}>`):
 * - columns: `{epoch?: number[], loss: number[], val_loss: number[], ...}`
 * - a tfjs `History` (from `model.fit`): `{epoch: number[], history: {loss: [...], ...}}`
 * - reglab's training `History`: `{epoch: number[], metrics: {loss: [...], ...}}`
 * - rows: `[{epoch?, loss, val_loss, ...}, ...]`
 * Convention: when no epoch numbers are given, epochs are numbered 1..n
 * (tfjs `History.epoch` is 0-based; when present it is kept as is).
 * Values that are tf scalars or missing become numbers or are left out.
 */

/** One epoch's numbers. */
export type EpochRecord = Record<string, number> & { epoch: number };

/** Column form: `{epoch?: number[], [metric]: number[]}`. */
export type HistoryColumns = Record<string, ArrayLike<number>>;

/** Anything `historyToRecords` accepts. */
export type HistoryLike =
  | HistoryColumns
  | { epoch?: ArrayLike<number>; history: HistoryColumns }
  | { epoch?: ArrayLike<number>; metrics: HistoryColumns }
  | ReadonlyArray<Record<string, number>>;

function toNumber(v: unknown, where: string): number {
  if (typeof v === "number") return v;
  if (v && typeof v === "object" && typeof (v as { dataSync?: unknown }).dataSync === "function") {
    // A tf scalar left in logs by a custom callback.
    return (v as { dataSync(): ArrayLike<number> }).dataSync()[0];
  }
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new Error(`history: ${where} is not a number (${typeof v})`);
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

/** Normalise a training history to per-epoch records (see module doc). */
export function historyToRecords(history: HistoryLike): EpochRecord[] {
  if (history == null || typeof history !== "object") {
    throw new Error(
      `history: expected {epoch: [...], loss: [...]} columns, a tfjs History,` +
      ` or an array of per-epoch records; got ${history === null ? "null" : typeof history}`,
    );
  }
  if (Array.isArray(history)) {
    return history.map((row, i) => {
      if (!row || typeof row !== "object") throw new Error(`history: row ${i} is not an object`);
      const rec: Record<string, number> = {};
      for (const [k, v] of Object.entries(row)) if (v !== undefined && v !== null) rec[k] = toNumber(v, `row ${i}, '${k}'`);
      if (rec.epoch === undefined) rec.epoch = i + 1;
      return rec as EpochRecord;
    });
  }
  const h = history as Record<string, unknown>;
  const nested = (k: string) => h[k] && typeof h[k] === "object" && !isArrayLike(h[k]);
  const cols = (nested("history") ? h.history : nested("metrics") ? h.metrics : h) as Record<string, unknown>;
  const epochs = isArrayLike(h.epoch) ? h.epoch : undefined;
  const names = Object.keys(cols).filter((k) => k !== "epoch" && isArrayLike(cols[k]));
  if (names.length === 0) throw new Error("history: no metric columns found (expected e.g. {loss: [...], val_loss: [...]})");
  const n = Math.max(...names.map((k) => (cols[k] as ArrayLike<unknown>).length), epochs?.length ?? 0);
  const out: EpochRecord[] = [];
  for (let i = 0; i < n; i++) {
    const rec: Record<string, number> = { epoch: epochs && i < epochs.length ? toNumber(epochs[i], `epoch[${i}]`) : i + 1 };
    for (const k of names) {
      const col = cols[k] as ArrayLike<unknown>;
      if (i < col.length && col[i] !== undefined && col[i] !== null) rec[k] = toNumber(col[i], `${k}[${i}]`);
    }
    out.push(rec as EpochRecord);
  }
  return out;
}
