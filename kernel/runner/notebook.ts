/**
 * Reading and writing Jupyter notebooks (nbformat 4, https://nbformat.readthedocs.io).
 *
 * Reading is strict: a missing file, invalid JSON (reported with line and
 * column), JSON that is not a notebook, nbformat 3 or older, and malformed
 * cells are errors ({@link NotebookError}). nbformat 4.0–4.5 are accepted; a
 * minor version above 5 produces a warning and is read as 4.5.
 *
 * In memory, multi-line strings (cell `source`, stream `text`, text MIME
 * data) are single strings; on disk they are lists of lines, as Jupyter
 * writes them.
 *
 * Version choice: notebooks are written as nbformat 4.5 (the minor is raised
 * to 5, never lowered). Upgrading 4.0–4.4 to 4.5 only requires cell `id`s,
 * so missing ones are added (8 random hex digits, like nbformat's
 * `random_cell_id`), and invalid or duplicate ids are replaced. A notebook
 * that declares a minor above 5 keeps its minor.
 *
 * Writing is Jupyter's layout (keys sorted, 1-space indentation, non-ASCII
 * kept, trailing newline) and atomic: a temp file in the same directory,
 * fsync, rename over the target (so a crash never leaves a half notebook).
 */
import { randomBytes } from "crypto";
import fs from "fs";
import path from "path";
import type { NbOutput } from "./outputs";
import { DEFAULT_NAME, DISPLAY_NAME } from "../kernelspec";

export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  /** Always a single string in memory. */
  source: string;
  metadata: Record<string, unknown>;
  /** Code cells only. */
  outputs?: NbOutput[];
  execution_count?: number | null;
  /** Other keys (e.g. `attachments`) are kept as they are. */
  [key: string]: unknown;
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
  [key: string]: unknown;
}

export class NotebookError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = "NotebookError";
  }
}

export interface ReadResult {
  notebook: Notebook;
  warnings: string[];
}

/** The MIME types whose string values nbformat stores as lists of lines (nbformat's `_split_mime_bundle`). */
function isSplitMime(mime: string): boolean {
  return mime.startsWith("text/") || mime === "application/javascript" || mime === "image/svg+xml";
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** "a\nb\n" ↔ ["a\n", "b\n"] (like Python's splitlines(keepends=True) on "\n"). */
export function splitLines(text: string): string[] {
  const out = text.match(/[^\n]*\n|[^\n]+$/g);
  return out ?? [];
}

/** A multiline string as stored (string or list of strings); null if neither. */
function joinText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.join("");
  return null;
}

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const col = pos - before.lastIndexOf("\n");
  return `line ${line}, column ${col}`;
}

function jsonErrorDetail(text: string, e: Error): string {
  if (text.trim() === "") return "the file is empty, not a notebook (expected JSON with nbformat 4)";
  let msg = e.message;
  const m = /at position (\d+)/.exec(msg);
  if (m && !/line \d+ column \d+/.test(msg)) msg += ` (${lineCol(text, Number(m[1]))})`;
  return `not valid JSON: ${msg}`;
}

const ID_RE = /^[a-zA-Z0-9_-]{1,64}$/;

export function newCellId(): string {
  return randomBytes(4).toString("hex");
}

function readOutput(file: string, where: string, o: unknown): NbOutput {
  if (!isObject(o) || typeof o.output_type !== "string")
    throw new NotebookError(file, `${where} is not an output object with an output_type`);
  const out = { ...o } as Record<string, unknown>;
  switch (o.output_type) {
    case "stream": {
      const text = joinText(o.text);
      if (text === null) throw new NotebookError(file, `${where}: stream text must be a string or a list of strings`);
      out.text = text;
      break;
    }
    case "display_data":
    case "execute_result": {
      if (!isObject(o.data)) throw new NotebookError(file, `${where}: ${o.output_type} needs a "data" object`);
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o.data)) data[k] = isSplitMime(k) ? (joinText(v) ?? v) : v;
      out.data = data;
      out.metadata = isObject(o.metadata) ? o.metadata : {};
      if (o.output_type === "execute_result" && !("execution_count" in o)) out.execution_count = null;
      break;
    }
    case "error":
      if (!Array.isArray(o.traceback)) out.traceback = [];
      break;
    default:
      throw new NotebookError(file, `${where}: unknown output_type "${o.output_type}"`);
  }
  return out as unknown as NbOutput;
}

/** Parse and validate notebook JSON text; `file` names it in errors. */
export function parseNotebook(text: string, file: string): ReadResult {
  const warnings: string[] = [];
  // Some Windows editors save UTF-8 with a byte order mark; JSON.parse rejects it with an invisible token.
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    warnings.push(`${file}: ignored the UTF-8 byte order mark at the start of the file (it is written without one)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new NotebookError(file, jsonErrorDetail(text, e as Error));
  }
  if (!isObject(parsed)) throw new NotebookError(file, "not a notebook: the JSON is not an object");
  const raw = parsed;
  if (typeof raw.nbformat === "number" && raw.nbformat !== 4) {
    throw new NotebookError(
      file,
      `nbformat ${raw.nbformat} is not supported; only nbformat 4 is` +
        (raw.nbformat < 4 ? " (convert it with `jupyter nbconvert --to notebook --nbformat 4`)" : ""),
    );
  }
  const missing = ["cells", "nbformat"].filter((k) => !(k in raw));
  if (missing.length) {
    const hint = "worksheets" in raw ? " (it looks like nbformat 3; convert it with `jupyter nbconvert --to notebook --nbformat 4`)" : "";
    throw new NotebookError(file, `not a notebook: no ${missing.map((k) => `"${k}"`).join(" or ")} key${hint}`);
  }
  if (typeof raw.nbformat !== "number" || !Number.isInteger(raw.nbformat))
    throw new NotebookError(file, `not a notebook: "nbformat" must be an integer, got ${JSON.stringify(raw.nbformat)}`);
  let minor = raw.nbformat_minor;
  if (minor === undefined) {
    warnings.push(`${file}: no nbformat_minor; assuming 0`);
    minor = 0;
  }
  if (typeof minor !== "number" || !Number.isInteger(minor) || minor < 0)
    throw new NotebookError(file, `"nbformat_minor" must be a non-negative integer, got ${JSON.stringify(minor)}`);
  if (minor > 5) warnings.push(`${file}: nbformat 4.${minor} is newer than 4.5, the newest this runner knows; reading it as 4.5`);
  if (!Array.isArray(raw.cells)) throw new NotebookError(file, `"cells" must be a list`);
  let metadata = raw.metadata;
  if (metadata === undefined) {
    warnings.push(`${file}: no notebook metadata; using {}`);
    metadata = {};
  }
  if (!isObject(metadata)) throw new NotebookError(file, `"metadata" must be an object`);

  const cells = raw.cells.map((c: unknown, i: number): NotebookCell => {
    const where = `cell ${i + 1}`;
    if (!isObject(c)) throw new NotebookError(file, `${where} is not an object`);
    if (c.cell_type !== "code" && c.cell_type !== "markdown" && c.cell_type !== "raw") {
      throw new NotebookError(file, `${where}: unknown cell_type ${JSON.stringify(c.cell_type)} (expected "code", "markdown" or "raw")`);
    }
    const source = joinText(c.source);
    if (source === null) throw new NotebookError(file, `${where}: "source" must be a string or a list of strings`);
    const cell: NotebookCell = { ...c, cell_type: c.cell_type, source, metadata: isObject(c.metadata) ? c.metadata : {} };
    if (c.cell_type === "code") {
      if (c.outputs !== undefined && !Array.isArray(c.outputs)) throw new NotebookError(file, `${where}: "outputs" must be a list`);
      cell.outputs = ((c.outputs as unknown[] | undefined) ?? []).map((o, j) => readOutput(file, `${where}, output ${j + 1}`, o));
      const ec = c.execution_count;
      cell.execution_count = typeof ec === "number" ? ec : null;
    }
    return cell;
  });
  return { notebook: { ...raw, nbformat: 4, nbformat_minor: minor, metadata, cells }, warnings };
}

/** Read and validate a notebook file. */
export function readNotebook(file: string): ReadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory, not a notebook" : err.message;
    throw new NotebookError(file, why);
  }
  return parseNotebook(text, file);
}

/** Give every cell a valid, unique id (required by nbformat 4.5). Returns how many were added or replaced. */
export function ensureCellIds(nb: Notebook): number {
  const seen = new Set<string>();
  let changed = 0;
  for (const cell of nb.cells) {
    if (typeof cell.id !== "string" || !ID_RE.test(cell.id) || seen.has(cell.id)) {
      let id = newCellId();
      while (seen.has(id)) id = newCellId();
      cell.id = id;
      changed++;
    }
    seen.add(cell.id);
  }
  return changed;
}

/** Recursively sort object keys (Jupyter writes with sort_keys=True). */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

function outputToDisk(o: NbOutput): Record<string, unknown> {
  const out = { ...o } as Record<string, unknown>;
  if (o.output_type === "stream") out.text = splitLines(o.text);
  if (o.output_type === "display_data" || o.output_type === "execute_result") {
    const data: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o.data)) data[k] = isSplitMime(k) && typeof v === "string" ? splitLines(v) : v;
    out.data = data;
  }
  return out;
}

/** The notebook as Jupyter would save it (nbformat 4.5+, ids added). Mutates `nb`'s ids and minor. */
export function serializeNotebook(nb: Notebook): string {
  nb.nbformat_minor = Math.max(nb.nbformat_minor, 5);
  ensureCellIds(nb);
  const disk = {
    ...nb,
    cells: nb.cells.map((c) => {
      const cell: Record<string, unknown> = { ...c, source: splitLines(c.source) };
      if (c.cell_type === "code") cell.outputs = (c.outputs ?? []).map(outputToDisk);
      else {
        delete cell.outputs;
        delete cell.execution_count;
      }
      return cell;
    }),
  };
  return JSON.stringify(sortKeys(disk), null, 1) + "\n";
}

/** Write `text` to `file` atomically: temp file in the same directory, fsync, rename. */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let mode = 0o644;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch {
    // new file
  }
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  try {
    // Persist the rename itself; not possible on every platform/file system.
    const dfd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // best effort
  }
}

export function writeNotebook(file: string, nb: Notebook): void {
  writeFileAtomic(file, serializeNotebook(nb));
}

/** The reglab kernelspec as recorded in notebook metadata. */
export const REGLAB_KERNELSPEC = { name: DEFAULT_NAME, display_name: DISPLAY_NAME, language: "typescript" } as const;

/** Record the kernel in the notebook metadata; `kernelspec` omitted leaves the existing one. */
export function setKernelMetadata(nb: Notebook, languageInfo: unknown, kernelspec?: Record<string, unknown>): void {
  if (kernelspec) nb.metadata.kernelspec = { ...kernelspec };
  if (isObject(languageInfo)) nb.metadata.language_info = languageInfo;
}
