/**
 * Input history for history_request, as IPython keeps it: every stored cell
 * of this session and of earlier sessions of the same kernelspec, so a
 * console's up-arrow works across restarts.
 *
 * - Sessions are numbered 1, 2, … (this kernel: one more than the largest
 *   stored); lines are execution counts. In requests, session 0 is this
 *   session and a negative one counts back from it (as IPython).
 * - Persisted as JSON in `<data dir>/reglab/history/<kernel name>.json`
 *   (data dir: $XDG_DATA_HOME or ~/.local/share; REGLAB_HISTORY_FILE
 *   overrides the path, "none" keeps history in memory), written atomically
 *   (temp file + rename) after each cell, merged with what other kernels of
 *   the same spec wrote meanwhile, and bounded to the newest MAX_ENTRIES
 *   entries (inputs over MAX_INPUT characters are not stored).
 * - A file that cannot be parsed is renamed to `<file>.corrupt-<time>` with
 *   a warning on the kernel's stderr; history starts empty, never fatal.
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

/** A glob (`*` any run, `?` one character) as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[\\s\\S]*")
    .replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}

export class HistoryStore {
  private entries: Stored[] = [];
  readonly session: number;

  constructor(
    private readonly file: string | null,
    private readonly log: (line: string) => void = () => undefined,
    private readonly maxEntries = MAX_ENTRIES,
  ) {
    this.entries = this.read();
    this.session = this.entries.reduce((m, e) => Math.max(m, e.session), 0) + 1;
  }

  private read(): Stored[] {
    if (!this.file || !fs.existsSync(this.file)) return [];
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      this.log(`history file ${this.file} cannot be read (${(e as Error).message}); history starts empty`);
      return [];
    }
    try {
      const v: unknown = JSON.parse(text);
      const list = (v as { entries?: unknown }).entries;
      if (!Array.isArray(list)) throw new Error("no entries array");
      return list.map((e: unknown) => {
        const o = e as Partial<Stored>;
        if (typeof o.session !== "number" || typeof o.line !== "number" || typeof o.input !== "string") throw new Error("bad entry");
        return { session: o.session, line: o.line, input: o.input, output: typeof o.output === "string" ? o.output : null };
      });
    } catch (e) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      try {
        fs.renameSync(this.file, aside);
        this.log(`history file ${this.file} is corrupt (${(e as Error).message}): set aside as ${aside}; history starts empty`);
      } catch (e2) {
        this.log(`history file ${this.file} is corrupt and could not be set aside (${(e2 as Error).message}); it is not used`);
      }
      return [];
    }
  }

  /** Record a stored cell (its execution count) and persist. */
  add(line: number, input: string, output: string | null): void {
    if (input.length > MAX_INPUT) return;
    this.entries.push({ session: this.session, line, input, output });
    if (this.entries.length > this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries);
    this.write();
  }

  private write(): void {
    if (!this.file) return;
    try {
      // Other kernels of this spec may have written since we read: keep their sessions.
      const others = (this.readQuietly() ?? this.entries).filter((e) => e.session !== this.session);
      const merged = [...others, ...this.entries.filter((e) => e.session === this.session)];
      merged.sort((a, b) => a.session - b.session || a.line - b.line);
      this.entries = merged.slice(-this.maxEntries);
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.entries }));
      fs.renameSync(tmp, this.file);
    } catch (e) {
      this.log(`could not save history to ${this.file}: ${(e as Error).message}`);
    }
  }

  /** The file's entries, or null when it is missing or unreadable right now. */
  private readQuietly(): Stored[] | null {
    try {
      const v = JSON.parse(fs.readFileSync(this.file as string, "utf8")) as { entries?: Stored[] };
      return Array.isArray(v.entries) ? v.entries.filter((e) => typeof e?.input === "string" && typeof e.session === "number") : null;
    } catch {
      return null; // missing, or being replaced by another kernel: keep what we have
    }
  }

  query(req: HistoryRequest): HistoryEntry[] {
    let picked: Stored[];
    if (req.hist_access_type === "tail") {
      picked = req.n > 0 ? this.entries.slice(-req.n) : [];
    } else if (req.hist_access_type === "range") {
      const session = req.session > 0 ? req.session : this.session + req.session;
      picked = this.entries.filter((e) => e.session === session && e.line >= req.start && (req.stop === null || e.line < req.stop));
    } else {
      const re = globToRegExp(req.pattern);
      picked = this.entries.filter((e) => re.test(e.input));
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
