/**
 * Command-line options of the runner commands (`reglab run`, `reglab check`):
 * one parser, the options each command accepts, and how inputs (files and
 * directories) become a list of notebooks.
 */
import fs from "fs";
import path from "path";
import type { ExecOptions } from "./execute";

/** A command line reglab cannot take: reported with the command's usage, exit status 2. */
export class UsageError extends Error {}

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

/** Options only one command accepts. */
const ONLY: Record<string, RunnerCommand> = {
  "--out": "run",
  "--inplace": "run",
  "--seed": "run",
  "--update": "check",
  "--seeds": "check",
};

function integer(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n)) throw new UsageError(`${flag} needs an integer, got "${v}"`);
  return n;
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
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const seconds = (v: string, flag: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new UsageError(`${flag} needs a number of seconds >= 0, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, a);
      i++;
      return v;
    };
    if (ONLY[a] !== undefined && ONLY[a] !== command)
      throw new UsageError(`${a} is an option of reglab ${ONLY[a]}, not of reglab ${command}`);
    switch (a) {
      case "--seed":
        o.seed = integer(take(), a);
        break;
      case "--update":
        o.update = true;
        break;
      case "--seeds": {
        const v = take();
        o.seeds = v.split(",").map((x) => integer(x.trim(), a));
        if (new Set(o.seeds).size !== o.seeds.length) throw new UsageError(`--seeds lists a seed twice: ${v}`);
        break;
      }
      case "-h":
      case "--help":
        o.help = true;
        break;
      case "--out":
        o.out = take();
        break;
      case "--inplace":
        o.inplace = true;
        break;
      case "--timeout":
        o.timeoutS = seconds(take(), a);
        break;
      case "--startup-timeout":
        o.startupTimeoutS = seconds(take(), a);
        break;
      case "--allow-errors":
        o.allowErrors = true;
        break;
      case "--max-stream-lines": {
        const v = take();
        const n = Number(v);
        if (v.trim() === "" || !Number.isInteger(n) || n < 0)
          throw new UsageError(`--max-stream-lines needs a whole number >= 0, got "${v}"`);
        o.maxStreamLines = n;
        break;
      }
      case "--quiet":
      case "-q":
        o.quiet = true;
        break;
      case "--kernel-argv": {
        const v = take();
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
        o.kernelArgv = parsed as string[];
        break;
      }
      default:
        if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
        o.inputs.push(argv[i]);
    }
  }
  if (o.help) return o;
  if (o.seed !== undefined) o.env = { REGLAB_SEED_VARIANT: String(o.seed) };
  if (o.out !== undefined && o.inplace) throw new UsageError("use either --out DIR or --inplace, not both");
  if (o.update && o.seeds) throw new UsageError("--update and --seeds do not go together (seeds mode compares no outputs)");
  if (o.inputs.length === 0) throw new UsageError("no notebooks given");
  return o;
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
