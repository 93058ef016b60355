/**
 * Arguments of the `reglab` commands and of the magics: the one UsageError, shell-like word splitting (a magic's
 * arguments come as one string) and one option scanner, in two styles:
 * - magics (IPython's): options come first; the first other word, or `--`, ends them; an option is `-x` or `--x…`
 *   (so `-1` is an argument); every error ends with the magic's usage line.
 * - commands: options anywhere, `--name=value` as well as `--name value`; any word starting with `-` is an option.
 * What a command does with the words (values checked in order, so the first bad word is the one reported) is its own.
 */

/**
 * A command line or magic line that cannot be taken. The CLI prints it with the command's usage (exit status 2);
 * a magic's cell fails with it as ename UsageError (IPython's name).
 */
export class UsageError extends Error {
  readonly ename = "UsageError";
}

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
  values?: readonly string[];
  /** Options without a value, e.g. ["-f", "--fail"]. */
  flags?: readonly string[];
}

/** One word of an argument list, as the scanner sees it; `index` is where it stands in the list. */
export type ArgWord =
  | { kind: "flag"; name: string; index: number }
  | { kind: "value"; name: string; value: string; index: number }
  | { kind: "argument"; word: string; index: number };

interface Style {
  /** Split `--name=value`: never, for value options only, or for every `--` word (a flag then drops the value). */
  inline: "none" | "values" | "all";
  /** `--` ends the options: the words after it are arguments. */
  doubleDash: boolean;
  /** Words that are options; an unknown one is a usage error unless `lenient`. */
  isOption(word: string): boolean;
  lenient: boolean;
  needsValue(name: string): string;
  unknown(name: string): string;
}

function* scan(words: readonly string[], spec: OptionSpec, style: Style): Generator<ArgWord> {
  const values = spec.values ?? [];
  const flags = spec.flags ?? [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (style.doubleDash && word === "--") {
      for (let j = i + 1; j < words.length; j++) yield { kind: "argument", word: words[j], index: j };
      return;
    }
    const eq = style.inline !== "none" && word.startsWith("--") ? word.indexOf("=") : -1;
    const split = eq > 0 && (style.inline === "all" || values.includes(word.slice(0, eq)));
    const name = split ? word.slice(0, eq) : word;
    if (values.includes(name)) {
      const index = i;
      if (!split && i + 1 >= words.length) throw new UsageError(style.needsValue(name));
      yield { kind: "value", name, value: split ? word.slice(eq + 1) : words[++i], index };
    } else if (flags.includes(name)) {
      yield { kind: "flag", name, index: i };
    } else if (!style.lenient && style.isOption(name)) {
      throw new UsageError(style.unknown(name));
    } else {
      yield { kind: "argument", word, index: i };
    }
  }
}

export interface ParsedOptions {
  values: Record<string, string>;
  flags: Set<string>;
  positional: string[];
}

/**
 * A magic's options, IPython style: parsing stops at the first word that is not a known option (or at `--`), the
 * rest is positional; with `anywhere`, options may stand between positional words (`--` still ends them).
 * `usage` goes into every error message.
 */
export function parseMagicOptions(words: string[], spec: OptionSpec, usage: string, anywhere = false): ParsedOptions {
  const style: Style = {
    inline: "none",
    doubleDash: true,
    isOption: (w) => /^--?[A-Za-z]/.test(w),
    lenient: false,
    needsValue: (name) => `option ${name} needs a value.\nUsage: ${usage}`,
    unknown: (name) => `unknown option ${name}.\nUsage: ${usage}`,
  };
  const out: ParsedOptions = { values: {}, flags: new Set(), positional: [] };
  for (const w of scan(words, spec, style)) {
    if (w.kind === "value") out.values[w.name] = w.value;
    else if (w.kind === "flag") out.flags.add(w.name);
    else if (anywhere) out.positional.push(w.word);
    else {
      out.positional.push(...words.slice(w.index));
      break;
    }
  }
  return out;
}

export interface CommandSpec extends OptionSpec {
  /**
   * Which `--name=value` words are split: "all" (a flag ignores the value; an unknown option is named without it),
   * or "values", only those of a value option (`--flag=x` is then an unknown option, named as written).
   */
  inline: "all" | "values";
  /** Unknown options are arguments, not usage errors (`reglab kernel` is given a front end's extra arguments). */
  lenient?: boolean;
}

/** A command line's words in order: options anywhere, each value taken from `--name=value` or the next word. */
export function commandWords(argv: readonly string[], spec: CommandSpec): Generator<ArgWord> {
  return scan(argv, spec, {
    inline: spec.inline,
    doubleDash: false,
    isOption: (w) => w.startsWith("-"),
    lenient: spec.lenient ?? false,
    needsValue: (name) => `${name} needs a value`,
    unknown: (name) => `unknown option ${name}`,
  });
}

/** Report a usage error the way every reglab command does (`reglab run: …`, a blank line, the usage); exit status 2. */
export function usageFailure(program: string, e: UsageError, usage: string): number {
  process.stderr.write(`${program}: ${e.message}\n\n${usage}\n`);
  return 2;
}
