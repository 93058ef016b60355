/**
 * Command-line options of the runner commands (`reglab run`, `reglab check`):
 * the options each command accepts (read with kernel/options.ts), and how
 * inputs (files and directories) become a list of notebooks.
 */
import fs from "fs";
import path from "path";
import type { ExecOptions } from "./execute";
import { UsageError, commandWords, usageFailure, type CommandSpec } from "../options";

export type RunnerCommand = "run" | "check";

export interface RunOptions extends ExecOptions {
  inputs: string[];
  out?: string;
  inplace: boolean;
  quiet: boolean;
  help: boolean;
  /** run --seed N: the seed variant (REGLAB_SEED_VARIANT) for every kernel. */
  seed?: number;
  /** check --update: rewrite the committed outputs of cells that drifted. */
  update: boolean;
  /** check --seeds a,b,c: seed variants to run under (errors only). */
  seeds?: number[];
}

const SHARED = {
  values: ["--timeout", "--startup-timeout", "--max-stream-lines", "--kernel-argv"],
  flags: ["-h", "--help", "--allow-errors", "--quiet", "-q"],
};

/** Options only one command accepts. */
const OWN: Record<RunnerCommand, { values: string[]; flags: string[] }> = {
  run: { values: ["--out", "--seed"], flags: ["--inplace"] },
  check: { values: ["--seeds"], flags: ["--update"] },
};

/**
 * The other command's options are known as flags, so that one is refused by name before a value is taken. A lone
 * `-` is a notebook name to the runner (not an option), as it has always been.
 */
function specOf(command: RunnerCommand): CommandSpec {
  const other = OWN[command === "run" ? "check" : "run"];
  return {
    inline: "all",
    values: [...SHARED.values, ...OWN[command].values],
    flags: [...SHARED.flags, ...OWN[command].flags, ...other.values, ...other.flags, "-"],
  };
}

function ownerOf(option: string): RunnerCommand | undefined {
  return (["run", "check"] as const).find((c) => OWN[c].values.includes(option) || OWN[c].flags.includes(option));
}

function integer(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n)) throw new UsageError(`${flag} needs an integer, got "${v}"`);
  return n;
}

function seconds(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a number of seconds >= 0, got "${v}"`);
  return n;
}

function kernelArgv(v: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new UsageError(`--kernel-argv needs a JSON list of strings, got ${v}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((x) => typeof x === "string")) {
    throw new UsageError(`--kernel-argv needs a non-empty JSON list of strings, got ${v}`);
  }
  if (!parsed.some((x: string) => x.includes("{connection_file}"))) {
    throw new UsageError("--kernel-argv must contain {connection_file} where the connection file's path goes");
  }
  return parsed as string[];
}

function setFlag(o: RunOptions, name: string): void {
  if (name === "-h" || name === "--help") o.help = true;
  else if (name === "--allow-errors") o.allowErrors = true;
  else if (name === "--quiet" || name === "-q") o.quiet = true;
  else if (name === "--inplace") o.inplace = true;
  else if (name === "--update") o.update = true;
  else if (name === "-") o.inputs.push(name);
}

function setValue(o: RunOptions, name: string, v: string): void {
  switch (name) {
    case "--seed":
      o.seed = integer(v, name);
      break;
    case "--seeds":
      o.seeds = v.split(",").map((x) => integer(x.trim(), name));
      if (new Set(o.seeds).size !== o.seeds.length) throw new UsageError(`--seeds lists a seed twice: ${v}`);
      break;
    case "--out":
      o.out = v;
      break;
    case "--timeout":
      o.timeoutS = seconds(v, name);
      break;
    case "--startup-timeout":
      o.startupTimeoutS = seconds(v, name);
      break;
    case "--max-stream-lines": {
      const n = Number(v);
      if (v.trim() === "" || !Number.isInteger(n) || n < 0)
        throw new UsageError(`--max-stream-lines needs a whole number >= 0, got "${v}"`);
      o.maxStreamLines = n;
      break;
    }
    case "--kernel-argv":
      o.kernelArgv = kernelArgv(v);
      break;
  }
}

export function parseRunArgs(argv: string[], command: RunnerCommand = "run"): RunOptions {
  const o: RunOptions = {
    inputs: [],
    inplace: false,
    update: false,
    timeoutS: 600,
    allowErrors: false,
    startupTimeoutS: 60,
    maxStreamLines: 2000,
    quiet: false,
    help: false,
  };
  for (const w of commandWords(argv, specOf(command))) {
    if (w.kind === "argument") {
      o.inputs.push(w.word);
      continue;
    }
    const owner = ownerOf(w.name);
    if (owner !== undefined && owner !== command)
      throw new UsageError(`${w.name} is an option of reglab ${owner}, not of reglab ${command}`);
    if (w.kind === "flag") setFlag(o, w.name);
    else setValue(o, w.name, w.value);
  }
  if (o.help) return o;
  if (o.seed !== undefined) o.env = { REGLAB_SEED_VARIANT: String(o.seed) };
  if (o.out !== undefined && o.inplace) throw new UsageError("use either --out DIR or --inplace, not both");
  if (o.update && o.seeds) throw new UsageError("--update and --seeds do not go together (seeds mode compares no outputs)");
  if (o.inputs.length === 0) throw new UsageError("no notebooks given");
  return o;
}

/**
 * A runner command's options and notebook files; or, for --help or a usage error, the exit status after printing
 * the usage (to stdout, or with the error to stderr).
 */
export function runnerArgs(argv: string[], command: RunnerCommand, usage: string): { o: RunOptions; files: string[] } | number {
  try {
    const o = parseRunArgs(argv, command);
    if (o.help) {
      process.stdout.write(usage + "\n");
      return 0;
    }
    return { o, files: expandInputs(o.inputs) };
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(`reglab ${command}`, e, usage);
    throw e;
  }
}

/** Files and directories → notebook paths, in order, without duplicates. */
export function expandInputs(inputs: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    const r = path.resolve(f);
    if (!seen.has(r)) {
      seen.add(r);
      out.push(f);
    }
  };
  for (const input of inputs) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(input);
    } catch {
      // reported as a missing notebook by readNotebook
    }
    if (st?.isDirectory()) {
      const names = fs
        .readdirSync(input)
        .filter((n) => n.endsWith(".ipynb") && !n.endsWith(".out.ipynb") && !n.startsWith("."))
        .filter((n) => fs.statSync(path.join(input, n)).isFile())
        .sort();
      if (names.length === 0) throw new UsageError(`${input}: no notebooks (*.ipynb) in this directory`);
      for (const n of names) add(path.join(input, n));
    } else {
      add(input);
    }
  }
  return out;
}
