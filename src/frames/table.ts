/**
 * Tables for notebooks: a danfo DataFrame/Series or an array of records as
 * `text/html` + `text/plain` (no application/vnd.dataresource+json: VS Code
 * shows it blank).
 *
 * Conventions: the first `maxRows` rows are shown (default 20), then a
 * "… N more rows" note; numbers get 4 significant digits (integers are
 * shown exactly; |v| ≥ 1e6 or < 1e-4 in exponent form); DataFrames show
 * their index as the first column, records do not.
 */
import { escapeHtml } from "../display/html";

/** What the table functions accept: a danfo DataFrame or Series (duck-typed), or records. */
export type TableInput = FrameShape | ReadonlyArray<Record<string, unknown>>;

/** The parts of a danfo DataFrame/Series we read. */
export interface FrameShape {
  columns: string[];
  values: unknown[];
  index: Array<string | number>;
  shape: number[];
}

export interface TableOptions {
  /** Rows shown before the "… N more rows" note (default 20). */
  maxRows?: number;
  caption?: string;
  /** Show the index column (default: true for frames, false for records). */
  index?: boolean;
}

interface Normalised {
  columns: string[];
  rows: unknown[][];
  index: Array<string | number> | null;
  total: number;
}

function isFrame(x: unknown): x is FrameShape {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const f = x as Record<string, unknown>;
  return Array.isArray(f.columns) && Array.isArray(f.values) && Array.isArray(f.index);
}

function normalise(input: TableInput, maxRows: number, showIndex?: boolean): Normalised {
  if (isFrame(input)) {
    const total = input.values.length;
    const oneD = total > 0 && !Array.isArray(input.values[0]);
    const rows = input.values.slice(0, maxRows).map((r) => (oneD ? [r] : (r as unknown[])));
    const columns = oneD && input.columns.length !== 1 ? ["value"] : input.columns.map(String);
    return { columns, rows, index: showIndex === false ? null : input.index.slice(0, maxRows), total };
  }
  if (Array.isArray(input)) {
    const records = input as ReadonlyArray<Record<string, unknown>>;
    const columns: string[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      if (r === null || typeof r !== "object") throw new Error("tableHtml: records must be objects like {epoch: 1, loss: 0.5}");
      for (const k of Object.keys(r)) if (!seen.has(k)) seen.add(k), columns.push(k);
    }
    const rows = records.slice(0, maxRows).map((r) => columns.map((c) => r[c]));
    const index = showIndex ? records.slice(0, maxRows).map((_, i) => i) : null;
    return { columns, rows, index, total: records.length };
  }
  throw new Error("tableHtml: expected a danfo DataFrame/Series or an array of records");
}

/** A number with 4 significant digits (see module doc); other values as text. */
export function formatCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}


function moreNote(hidden: number): string {
  return `… ${hidden} more row${hidden === 1 ? "" : "s"}`;
}

/** HTML table (see module doc). */
export function tableHtml(input: TableInput, options: TableOptions = {}): string {
  const maxRows = options.maxRows ?? 20;
  if (!Number.isInteger(maxRows) || maxRows < 0) throw new Error(`tableHtml: maxRows must be a non-negative integer, got ${maxRows}`);
  const t = normalise(input, maxRows, options.index);
  const numeric = t.columns.map((_, c) => t.rows.length > 0 && t.rows.every((r) => typeof r[c] === "number" || r[c] == null));
  const th = (s: string, right: boolean) => `<th style="text-align:${right ? "right" : "left"}">${escapeHtml(s)}</th>`;
  const head = (t.index ? "<th></th>" : "") + t.columns.map((c, i) => th(c, numeric[i])).join("");
  const body = t.rows
    .map((r, i) => {
      const idx = t.index ? `<th style="text-align:right">${escapeHtml(String(t.index[i]))}</th>` : "";
      const cells = r.map((v, c) => `<td style="text-align:${numeric[c] ? "right" : "left"}">${escapeHtml(formatCell(v))}</td>`).join("");
      return `<tr>${idx}${cells}</tr>`;
    })
    .join("");
  const hidden = t.total - t.rows.length;
  const span = t.columns.length + (t.index ? 1 : 0);
  const note =
    hidden > 0 ? `<tr><td colspan="${span}" style="text-align:left;font-style:italic">${escapeHtml(moreNote(hidden))}</td></tr>` : "";
  const caption = options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "";
  return `<table class="reglab-table" style="font-variant-numeric:tabular-nums">${caption}<thead><tr>${head}</tr></thead>` +
    `<tbody>${body}${note}</tbody></table>`;
}

/** Plain-text table with aligned columns (same rows and note as the HTML). */
export function tableText(input: TableInput, options: TableOptions = {}): string {
  const maxRows = options.maxRows ?? 20;
  const t = normalise(input, maxRows, options.index);
  const header = [...(t.index ? [""] : []), ...t.columns];
  const body = t.rows.map((r, i) => [...(t.index ? [String(t.index[i])] : []), ...r.map(formatCell)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((s, c) => s.padStart(widths[c]))
      .join("  ")
      .trimEnd();
  const lines = [line(header), ...body.map(line)];
  const hidden = t.total - t.rows.length;
  if (hidden > 0) lines.push(moreNote(hidden));
  if (options.caption) lines.unshift(options.caption);
  return lines.join("\n");
}

/** `{ "text/html", "text/plain" }` for rich display of a table. */
export function frameBundle(input: TableInput, options: TableOptions = {}): { "text/html": string; "text/plain": string } {
  return { "text/html": tableHtml(input, options), "text/plain": tableText(input, options) };
}
