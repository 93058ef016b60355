/**
 * Input history for history_request, as IPython keeps it: every stored cell
 * of this session and of earlier sessions of the same kernelspec, so a
 * console's up-arrow works across restarts.
 *
 * - Sessions are numbered 1, 2, … (this kernel: one more than the largest
 *   stored); lines are execution counts. In requests, session 0 is this
 *   session and a negative one counts back from it (as IPython).
 * - Persisted as JSON lines in `<data dir>/reglab/history/<kernel name>.json`
 *   (data dir: $XDG_DATA_HOME or ~/.local/share; REGLAB_HISTORY_FILE
 *   overrides the path, "none" keeps history in memory). Each stored cell
 *   appends one line, so a cell costs the same with 10 entries or 10,000
 *   (rewriting the whole file after every cell cost tens of ms a cell once
 *   it was full). Kernels of the same spec append to the same file; a query
 *   reads it, so it sees theirs too. Bounded to the newest MAX_ENTRIES
 *   entries, compacted at start-up once the file holds twice that (inputs
 *   over MAX_INPUT characters are not stored). The one-object format of
 *   earlier versions is read and rewritten as lines.
 * - A file of which no line can be read is renamed to `<file>.corrupt-<time>`
 *   with a warning on the kernel's stderr; history starts empty, never fatal.
 * - search: `pattern` is a glob (`*`, `?`, as IPython's sqlite GLOB, case
 *   sensitive) matched against the whole input; `unique` keeps the newest of
 *   equal inputs; `n` keeps the last n matches.
 */
import fs from "fs";
import os from "os";
import path from "path";
import type { HistoryEntry, HistoryRequest } from "./messages";

export const MAX_ENTRIES = 10_000;
export const MAX_INPUT = 100_000;

interface Stored {
  session: number;
  line: number;
  input: string;
  output: string | null;
}

export function defaultHistoryFile(kernelName: string): string | null {
  const env = process.env.REGLAB_HISTORY_FILE;
  if (env === "none") return null;
  if (env) return path.resolve(env);
  const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return path.join(data, "reglab", "history", `${kernelName.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
}

/** One stored entry, checked (throws on a malformed one). */
function storedEntry(e: unknown): Stored {
  const o = e as Partial<Stored>;
  if (typeof o.session !== "number" || typeof o.line !== "number" || typeof o.input !== "string") throw new Error("bad entry");
  return { session: o.session, line: o.line, input: o.input, output: typeof o.output === "string" ? o.output : null };
}

/** A glob (`*` any run, `?` one character) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[\\s\\S]*")
    .replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}

export class HistoryStore {
  /** This session's entries that are not in the file (no file, or the append failed). */
  private readonly unsaved: Stored[] = [];
  /** The file's folder exists (made once, not before every cell). */
  private dirMade = false;
  readonly session: number;

  constructor(
    private readonly file: string | null,
    private readonly log: (line: string) => void = () => undefined,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    const stored = this.read(true);
    this.session = stored.entries.reduce((m, e) => Math.max(m, e.session), 0) + 1;
    if (stored.lines > 2 * this.maxEntries || stored.legacy) this.compact(stored.entries);
  }

  /**
   * The file's entries, newest `maxEntries`. One JSON object a line; a line
   * that does not parse (a kernel killed mid-write) is skipped. A file of
   * which no line parses is corrupt: set aside (at start-up only).
   */
  private read(atStart: boolean): { entries: Stored[]; lines: number; legacy: boolean } {
    const none = { entries: [], lines: 0, legacy: false };
    if (!this.file || !fs.existsSync(this.file)) return none;
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      if (atStart) this.log(`history file ${this.file} cannot be read (${(e as Error).message}); history starts empty`);
      return none;
    }
    const entries: Stored[] = [];
    let lines = 0;
    let bad = 0;
    let legacy = false;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      lines++;
      try {
        const v = JSON.parse(line) as { entries?: unknown };
        // Earlier reglab builds kept the whole history as one {version, entries} object.
        const list = Array.isArray(v.entries) ? ((legacy = true), v.entries) : [v];
        for (const e of list) entries.push(storedEntry(e));
      } catch {
        bad++;
      }
    }
    if (atStart && lines > 0 && bad === lines) {
      this.setAside("no line is a history entry");
      return none;
    }
    if (atStart && bad > 0) this.log(`history file ${this.file}: skipped ${bad} unreadable line(s)`);
    entries.sort((x, y) => x.session - y.session || x.line - y.line);
    return { entries: entries.slice(-this.maxEntries), lines, legacy };
  }

  private setAside(why: string): void {
    const aside = `${this.file}.corrupt-${Date.now()}`;
    try {
      fs.renameSync(this.file as string, aside);
      this.log(`history file ${this.file} is corrupt (${why}): set aside as ${aside}; history starts empty`);
    } catch (e2) {
      this.log(`history file ${this.file} is corrupt and could not be set aside (${(e2 as Error).message}); it is not used`);
    }
  }

  /**
   * Rewrite the file with its newest entries (temp file + rename). A line
   * another kernel appends between the read and the rename is lost: only
   * history, and only when the file has grown past twice its bound.
   */
  private compact(entries: Stored[]): void {
    const file = this.file as string;
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, entries.map((e) => JSON.stringify(e) + "\n").join(""));
      fs.renameSync(tmp, file);
    } catch (e) {
      this.log(`could not compact history file ${file}: ${(e as Error).message}`);
    }
  }

  /** Record a stored cell (its execution count) and persist it: one appended line, whatever the file's size. */
  add(line: number, input: string, output: string | null): void {
    if (input.length > MAX_INPUT) return;
    const entry: Stored = { session: this.session, line, input, output };
    if (this.file) {
      try {
        if (!this.dirMade) fs.mkdirSync(path.dirname(this.file), { recursive: true });
        this.dirMade = true;
        fs.appendFileSync(this.file, JSON.stringify(entry) + "\n");
        return;
      } catch (e) {
        this.log(`could not save history to ${this.file}: ${(e as Error).message}`);
      }
    }
    this.unsaved.push(entry);
    if (this.unsaved.length > this.maxEntries) this.unsaved.splice(0, this.unsaved.length - this.maxEntries);
  }

  /** Every session's entries as the file has them now (other kernels of the spec included), and this session's unsaved ones. */
  private entries(): Stored[] {
    const all = [...this.read(false).entries, ...this.unsaved];
    all.sort((x, y) => x.session - y.session || x.line - y.line);
    return all.slice(-this.maxEntries);
  }

  query(req: HistoryRequest): HistoryEntry[] {
    const all = this.entries();
    let picked: Stored[];
    if (req.hist_access_type === "tail") {
      picked = req.n > 0 ? all.slice(-req.n) : [];
    } else if (req.hist_access_type === "range") {
      const session = req.session > 0 ? req.session : this.session + req.session;
      picked = all.filter((e) => e.session === session && e.line >= req.start && (req.stop === null || e.line < req.stop));
    } else {
      const re = globToRegExp(req.pattern);
      picked = all.filter((e) => re.test(e.input));
      if (req.unique) {
        const seen = new Set<string>();
        picked = picked
          .reverse()
          .filter((e) => !seen.has(e.input) && (seen.add(e.input), true))
          .reverse();
      }
      if (req.n !== null && req.n > 0) picked = picked.slice(-req.n);
    }
    return picked.map((e): HistoryEntry => (req.output ? [e.session, e.line, [e.input, e.output]] : [e.session, e.line, e.input]));
  }
}
