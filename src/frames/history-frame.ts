/**
 * Training histories as danfo DataFrames and back.
 *
 * `historyToFrame`: one row per epoch, an `epoch` column first, then one
 * column per metric in first-seen order (missing values are NaN; epoch
 * numbering as in records.ts). `frameToRecords`: the rows as plain objects
 * (column name → value), the inverse for numeric frames.
 *
 * danfojs-node is loaded on first use (it takes about a second), so
 * importing reglab stays fast. It shares tfjs-core with reglab (one engine,
 * one Tensor class; checked in tests).
 */
import type { DataFrame } from "danfojs-node";
import { historyToRecords, type HistoryLike } from "./records";

type Danfo = typeof import("danfojs-node");
let danfo: Danfo | null = null;

/** danfojs-node, loaded once. */
export function loadDanfo(): Danfo {
  danfo ??= require("danfojs-node") as Danfo;
  return danfo;
}

/** A DataFrame with columns epoch, metric₁, metric₂, … */
export function historyToFrame(history: HistoryLike): DataFrame {
  const records = historyToRecords(history);
  if (records.length === 0) throw new Error("historyToFrame: the history has no epochs");
  const names: string[] = ["epoch"];
  for (const r of records) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
  const columns: Record<string, number[]> = {};
  for (const k of names) columns[k] = records.map((r) => (r[k] === undefined ? Number.NaN : r[k]));
  const dfd = loadDanfo();
  return new dfd.DataFrame(columns, { columns: names });
}

/** Rows of a DataFrame as records. */
export function frameToRecords(df: DataFrame): Array<Record<string, unknown>> {
  const f = df as unknown as { columns: string[]; values: unknown[] };
  if (!f || !Array.isArray(f.columns) || !Array.isArray(f.values)) throw new Error("frameToRecords: expected a danfo DataFrame");
  return f.values.map((row) => {
    const cells = row as unknown[];
    const rec: Record<string, unknown> = {};
    f.columns.forEach((c, i) => (rec[c] = cells[i]));
    return rec;
  });
}
