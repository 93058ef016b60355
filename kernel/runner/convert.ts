/**
 * `reglab convert`: a notebook's text twin in jupytext's percent format for
 * TypeScript, and back, so lecture sources are reviewed and diffed as text.
 *
 * Layout (what this module writes; it also reads jupytext's own files):
 *   // ---
 *   // jupyter:
 *   //   jupytext:
 *   //     text_representation: ...
 *   //   kernelspec: {"display_name": ..., "name": "reglab", ...}
 *   // ---
 *   <blank line>
 *   // %% [markdown] tags=["x"]
 *   // A markdown line
 *   <blank line>
 *   // %%
 *   const code = 1;
 * The header holds the notebook metadata (YAML; each key's value written as
 * JSON, which is YAML too) except `language_info`, which a run writes. A cell
 * is its marker line (`// %%`, `// %% [markdown]`, `// %% [raw]`, then its
 * metadata as key=JSON) and its source verbatim; markdown and raw lines are
 * commented with "// " ("//" for an empty line). Every cell is preceded by
 * exactly one blank line, so any source (trailing newlines included) comes
 * back exactly: ts → ipynb → ts is byte-stable.
 *
 * Outputs, execution counts and cell ids are not in the text. `--to ipynb`
 * takes them from the paired notebook (same name, .ipynb) when it exists:
 * each text cell that has the same type and source as the next unused
 * cell of the paired notebook keeps that cell's id and outputs, and the
 * paired notebook's language_info and nbformat_minor are kept — so
 * ipynb → ts → ipynb is byte-stable too. Edited cells come back without
 * outputs (they are stale).
 */
import fs from "fs";
import path from "path";
import { Notebook, NotebookCell, NotebookError, newCellId, readNotebook, serializeNotebook, writeFileAtomic } from "./notebook";
import { UsageError, commandWords, usageFailure } from "../options";

export class ConvertError extends Error {}

const HEADER_FENCE = "// ---";
const MARKER = /^\/\/ ?%%(?:\s|$)/;
const RUN_KEYS = new Set(["language_info"]);
const JUPYTEXT = [
  "  jupytext:",
  "    text_representation:",
  "      extension: .ts",
  "      format_name: percent",
  "      format_version: '1.3'",
];

function commented(source: string): string {
  return source
    .split("\n")
    .map((l) => (l === "" ? "//" : `// ${l}`))
    .join("\n");
}

function uncommented(body: string): string {
  return body
    .split("\n")
    .map((l) => (l === "//" ? "" : l.startsWith("// ") ? l.slice(3) : l))
    .join("\n");
}

/** The percent-format text of a notebook. */
export function notebookToPercent(nb: Notebook, file = "notebook"): string {
  const meta = Object.keys(nb.metadata)
    .filter((k) => !RUN_KEYS.has(k) && k !== "jupytext")
    .sort()
    .map((k) => `  ${k}: ${JSON.stringify(nb.metadata[k])}`);
  const header =
    [HEADER_FENCE, "jupyter:", ...JUPYTEXT, ...meta].map((l, i) => (i === 0 ? l : `// ${l}`)).join("\n") + `\n${HEADER_FENCE}\n`;
  const cells = nb.cells.map((c, i) => {
    const kind = c.cell_type === "code" ? "" : ` [${c.cell_type}]`;
    const attrs = Object.keys(c.metadata)
      .sort()
      .map((k) => ` ${k}=${JSON.stringify(c.metadata[k])}`)
      .join("");
    if (c.cell_type === "code") {
      const bad = c.source.split("\n").findIndex((l) => MARKER.test(l));
      if (bad >= 0)
        throw new ConvertError(`${file}: cell ${i + 1}, line ${bad + 1} starts with "// %%", which the percent format reads as a new cell`);
    }
    const body = c.cell_type === "code" ? c.source : commented(c.source);
    return `\n// %%${kind}${attrs}\n${body}\n`;
  });
  return header + cells.join("");
}

/** Read one JSON value at the start of `s`; returns it and the rest. */
function readJsonValue(s: string, where: string): { value: unknown; rest: string } {
  let end = 0;
  if (s[0] === '"' || s[0] === "[" || s[0] === "{") {
    let depth = 0;
    let inStr = false;
    for (; end < s.length; end++) {
      const ch = s[end];
      if (inStr) {
        if (ch === "\\") end++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === "[" || ch === "{") depth++;
      else if (ch === "]" || ch === "}") depth--;
      if (!inStr && depth === 0 && (ch === '"' || ch === "]" || ch === "}")) break;
    }
    end++;
  } else {
    while (end < s.length && s[end] !== " ") end++;
  }
  const raw = s.slice(0, end);
  try {
    return { value: JSON.parse(raw), rest: s.slice(end) };
  } catch {
    throw new ConvertError(`${where}: cell metadata value ${raw} is not JSON`);
  }
}

function parseMarker(line: string, where: string): { type: NotebookCell["cell_type"]; metadata: Record<string, unknown> } {
  let rest = line.replace(/^\/\/ ?%%/, "");
  let type: NotebookCell["cell_type"] = "code";
  const m = /^\s*\[(markdown|md|raw)\]/.exec(rest);
  if (m) {
    type = m[1] === "raw" ? "raw" : "markdown";
    rest = rest.slice(m[0].length);
  }
  const metadata: Record<string, unknown> = {};
  for (;;) {
    rest = rest.replace(/^\s+/, "");
    if (rest === "") break;
    const km = /^([A-Za-z_][\w.-]*)=/.exec(rest);
    if (!km) break; // a cell title, as jupytext allows: ignored
    const { value, rest: after } = readJsonValue(rest.slice(km[0].length), where);
    metadata[km[1]] = value;
    rest = after;
  }
  return { type, metadata };
}

/** A YAML scalar as jupytext writes it: JSON, 'quoted', or a bare string. */
function yamlScalar(v: string): unknown {
  const t = v.trim();
  try {
    return JSON.parse(t);
  } catch {
    if (/^'.*'$/.test(t)) return t.slice(1, -1).replace(/''/g, "'");
    return t;
  }
}

/** The `jupyter:` mapping of the header: `key: <json>` lines, or `key:` with one nested level of `k: scalar`. */
function parseHeader(lines: string[], where: string): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  let nested: Record<string, unknown> | null = null;
  for (const raw of lines) {
    const l = raw.replace(/^\/\/ ?/, "");
    if (l.trim() === "" || l === "jupyter:") continue;
    const top = /^ {2}([^\s:][^:]*):(.*)$/.exec(l);
    if (top) {
      nested = null;
      if (top[2].trim() === "") meta[top[1]] = nested = {};
      else meta[top[1]] = yamlScalar(top[2]);
      continue;
    }
    const sub = /^ {4}([^\s:][^:]*):(.*)$/.exec(l);
    if (sub && nested && sub[2].trim() !== "") nested[sub[1]] = yamlScalar(sub[2]);
    else if (!/^ {4,}/.test(l)) throw new ConvertError(`${where}: cannot read header line ${JSON.stringify(raw)}`);
  }
  delete meta.jupytext;
  return meta;
}

/** A notebook from percent-format text; `paired` supplies ids, outputs and run metadata (see the header). */
export function percentToNotebook(text: string, where: string, paired?: Notebook): Notebook {
  let rest = text;
  let metadata: Record<string, unknown> = {};
  if (rest.startsWith(HEADER_FENCE + "\n")) {
    const end = rest.indexOf(`\n${HEADER_FENCE}\n`, HEADER_FENCE.length);
    if (end < 0) throw new ConvertError(`${where}: the header opened by "// ---" is not closed`);
    metadata = parseHeader(rest.slice(HEADER_FENCE.length + 1, end).split("\n"), where);
    rest = rest.slice(end + HEADER_FENCE.length + 2);
  }
  // Cells start at lines that are markers; `rest` is "\n<marker>\n<body>\n" per cell.
  const starts: number[] = [];
  const re = /(^|\n)\/\/ ?%%(?=[\s]|$)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) starts.push(m.index + (m[1] ? 1 : 0));
  if (rest.slice(0, starts[0] ?? rest.length).trim() !== "") throw new ConvertError(`${where}: text before the first "// %%" cell marker`);
  const cells: NotebookCell[] = starts.map((s, k) => {
    let chunk = rest.slice(s, k + 1 < starts.length ? starts[k + 1] - 1 : rest.length);
    const nl = chunk.indexOf("\n");
    const marker = nl < 0 ? chunk : chunk.slice(0, nl);
    chunk = nl < 0 ? "" : chunk.slice(nl + 1);
    if (chunk.endsWith("\n")) chunk = chunk.slice(0, -1);
    const { type, metadata: cm } = parseMarker(marker, `${where}, cell ${k + 1}`);
    const source = type === "code" ? chunk : uncommented(chunk);
    const cell: NotebookCell = { cell_type: type, id: newCellId(), metadata: cm, source };
    if (type === "code") Object.assign(cell, { execution_count: null, outputs: [] });
    return cell;
  });
  const nb: Notebook = { nbformat: 4, nbformat_minor: 5, metadata, cells };
  if (paired) {
    for (const k of RUN_KEYS) if (k in paired.metadata) nb.metadata[k] = paired.metadata[k];
    nb.nbformat_minor = Math.max(5, paired.nbformat_minor);
    let j = 0;
    for (const cell of cells) {
      const at = paired.cells.findIndex((p, i) => i >= j && p.cell_type === cell.cell_type && p.source === cell.source);
      if (at < 0) continue;
      const twin: NotebookCell = paired.cells[at];
      for (const [key, v] of Object.entries(twin) as Array<[string, unknown]>)
        if (!(key in cell) || key === "id" || key === "outputs" || key === "execution_count") cell[key] = v;
      j = at + 1;
    }
  }
  return nb;
}

export const CONVERT_USAGE = `Usage: reglab convert <file>... --to ts|ipynb [--out FILE]

Convert notebooks to text twins and back (jupytext's percent format for
TypeScript: "// %%" starts a code cell, "// %% [markdown]" a markdown cell
whose lines are commented; notebook metadata in a "// ---" YAML header).

  --to ts        notebook.ipynb → notebook.ts (next to it)
  --to ipynb     notebook.ts → notebook.ipynb; if notebook.ipynb exists (the
                 paired notebook), cells whose source is unchanged keep their
                 ids, outputs and execution counts, so a round trip
                 ipynb → ts → ipynb gives the same bytes; edited cells come
                 back without outputs
  --out FILE     write FILE instead (one input only)
  -h, --help     this help

Files are written atomically. Exit status: 0 written, 1 a file could not be
converted, 2 usage error.`;

interface ConvertArgs {
  inputs: string[];
  to?: "ts" | "ipynb";
  out?: string;
  help: boolean;
}

function parseConvertArgs(argv: string[]): ConvertArgs {
  const o: ConvertArgs = { inputs: [], help: false };
  for (const w of commandWords(argv, { inline: "all", values: ["--to", "--out"], flags: ["-h", "--help"] })) {
    if (w.kind === "flag") o.help = true;
    else if (w.kind === "argument") o.inputs.push(w.word);
    else if (w.name === "--out") o.out = w.value;
    else if (w.value === "ts" || w.value === "ipynb") o.to = w.value;
    else throw new UsageError(`--to needs ts or ipynb, got "${w.value}"`);
  }
  if (o.help) return o;
  if (!o.to) throw new UsageError("say what to convert to: --to ts or --to ipynb");
  if (o.inputs.length === 0) throw new UsageError("no files given");
  if (o.out && o.inputs.length > 1) throw new UsageError("--out takes one input file");
  return o;
}

function convertOne(input: string, to: "ts" | "ipynb", out?: string): string {
  const stem = input.replace(/\.(ipynb|ts)$/i, "");
  if (to === "ts") {
    if (!/\.ipynb$/i.test(input)) throw new ConvertError(`${input}: --to ts reads a notebook (.ipynb)`);
    const { notebook } = readNotebook(input);
    const target = out ?? `${stem}.ts`;
    writeFileAtomic(target, notebookToPercent(notebook, input));
    return `${input} → ${target} (${notebook.cells.length} cells)`;
  }
  if (!/\.ts$/i.test(input)) throw new ConvertError(`${input}: --to ipynb reads a text twin (.ts)`);
  let text: string;
  try {
    text = fs.readFileSync(input, "utf8");
  } catch (e) {
    throw new ConvertError(`${input}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  const target = out ?? `${stem}.ipynb`;
  const paired = fs.existsSync(target) ? readNotebook(target).notebook : undefined;
  const nb = percentToNotebook(text, input, paired);
  writeFileAtomic(target, serializeNotebook(nb));
  const kept = paired ? nb.cells.filter((c) => (c.outputs ?? []).length > 0).length : 0;
  const keptNote = paired ? `; outputs kept for ${kept} cells from the paired ${path.basename(target)}` : "";
  return `${input} → ${target} (${nb.cells.length} cells${keptNote})`;
}

/** `reglab convert ...`; returns the exit status. */
export async function convertCommand(argv: string[]): Promise<number> {
  let o: ConvertArgs;
  try {
    o = parseConvertArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return usageFailure("reglab convert", e, CONVERT_USAGE);
  }
  if (o.help) return process.stdout.write(CONVERT_USAGE + "\n"), 0;
  let status = 0;
  for (const input of o.inputs) {
    try {
      process.stdout.write(convertOne(input, o.to!, o.out) + "\n");
    } catch (e) {
      if (!(e instanceof ConvertError || e instanceof NotebookError)) throw e;
      process.stderr.write(`reglab convert: ${e.message}\n`);
      status = 1;
    }
  }
  return status;
}
