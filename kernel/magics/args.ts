/**
 * Magic argument parsing: shell-like words (single/double quotes, backslash
 * escapes) and IPython-style options (`-n 10`, `-f`, `--fail`, `--data x`).
 */
import { UsageError } from "./errors";

/** Split like a POSIX shell does (no expansion). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q) q = null;
      else if (c === "\\" && q === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) throw new UsageError(`unterminated ${q} quote in: ${s}`);
  if (has) out.push(cur);
  return out;
}

export interface OptionSpec {
  /** Options that take a value, e.g. ["-n", "-r", "--data"]. */
  values?: string[];
  /** Options without a value, e.g. ["-f", "--fail"]. */
  flags?: string[];
}

export interface ParsedOptions {
  values: Record<string, string>;
  flags: Set<string>;
  positional: string[];
}

/**
 * Options come first, IPython style: parsing stops at the first word that is
 * not a known option (or at `--`), the rest is positional. `usage` goes into
 * the error message for an unknown option.
 */
export function parseOptions(words: string[], spec: OptionSpec, usage: string, anywhere = false): ParsedOptions {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i];
    if (w === "--") {
      i++;
      break;
    }
    if (spec.values?.includes(w)) {
      if (i + 1 >= words.length) throw new UsageError(`option ${w} needs a value.\nUsage: ${usage}`);
      values[w] = words[++i];
    } else if (spec.flags?.includes(w)) {
      flags.add(w);
    } else if (/^--?[A-Za-z]/.test(w)) {
      throw new UsageError(`unknown option ${w}.\nUsage: ${usage}`);
    } else if (anywhere) {
      positional.push(w);
    } else break;
  }
  positional.push(...words.slice(i));
  return { values, flags, positional };
}

/** A positive integer option value, or a usage error. */
export function positiveInt(name: string, v: string, usage: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${v}".\nUsage: ${usage}`);
  return n;
}
