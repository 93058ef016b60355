/**
 * The `reglab` command line (bin/reglab.js calls `main`). Hand-written
 * parsing, no dependency. Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import { describe, install, uninstall, packageVersion, type InstallOptions } from "./kernelspec";
import { checkCommand } from "./runner/check";
import { convertCommand } from "./runner/convert";
import { runCommand } from "./runner/run";
import { UsageError } from "./runner/args";

const USAGE: Record<string, string> = {
  install: `Usage: reglab install [--user | --prefix DIR | --sys-prefix] [--name NAME] [--display-name TEXT]

Install the reglab kernelspec so Jupyter can start this kernel.
  --user              per-user data dir ($JUPYTER_DATA_DIR or ~/.local/share/jupyter) (default)
  --prefix DIR        DIR/share/jupyter (e.g. a virtualenv)
  --sys-prefix        sys.prefix of the Python that has Jupyter (/usr on Debian)
  --name NAME         kernel name (default: reglab; lowercase letters, digits, . _ -)
  --display-name TEXT name shown in the notebook's kernel menu (default: "TypeScript (reglab)")`,
  uninstall: `Usage: reglab uninstall [--user | --prefix DIR | --sys-prefix] [--name NAME]

Remove the reglab kernelspec from the chosen data dir (default: --user).`,
  kernelspec: `Usage: reglab kernelspec [--user | --prefix DIR | --sys-prefix] [--name NAME] [--display-name TEXT]

Print the kernelspec JSON and the path install would write it to.`,
  kernel: `Usage: reglab kernel --connection-file FILE [ignored...]

Start the kernel (Jupyter runs this; FILE is Jupyter's connection file).
Other arguments (Jupyter passes a front end's extra arguments on) are ignored with a warning.`,
  run: `Usage: reglab run [args...]

Execute notebooks headlessly (see \`reglab run --help\`).`,
  check: `Usage: reglab check [args...]

Re-run notebooks and compare with their committed outputs; --seeds for seed robustness (see \`reglab check --help\`).`,
  convert: `Usage: reglab convert [args...]

Notebook <-> TypeScript percent-format text twin (see \`reglab convert --help\`).`,
};

const SUMMARY = `Usage: reglab <command> [options]

Commands:
  install      install the Jupyter kernelspec (default: --user)
  uninstall    remove the Jupyter kernelspec
  kernelspec   print the kernelspec and where it would be installed
  kernel       start the kernel (used by Jupyter): --connection-file FILE
  run          execute notebooks headlessly (--seed N: another global seed)
  check        re-run notebooks, compare with the committed outputs (--update, --seeds)
  convert      notebook <-> TypeScript text twin (jupytext percent format)
  help [cmd]   show help for a command

Options:
  --help, -h   show this help
  --version    print the version`;


/**
 * Parse `--flag`, `--opt VALUE` and `--opt=VALUE` against the allowed sets.
 * Anything else is a usage error, unless `ignored` is given: then unknown
 * options and positional arguments are collected there.
 */
function parseOptions(
  args: string[],
  flags: readonly string[],
  valued: readonly string[],
  ignored?: string[],
): { flags: Set<string>; values: Map<string, string>; help: boolean } {
  const out = { flags: new Set<string>(), values: new Map<string, string>(), help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--help" || a === "-h") {
      out.help = true;
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    if (valued.includes(name)) {
      let v: string | undefined;
      if (name !== a) v = a.slice(eq + 1);
      else {
        v = args[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value`);
      }
      out.values.set(name, v);
    } else if (flags.includes(a)) {
      out.flags.add(a);
    } else if (ignored) {
      ignored.push(a);
    } else if (a.startsWith("-")) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      throw new UsageError(`unexpected argument ${a}`);
    }
  }
  return out;
}

function specOptions(args: string[], withDisplayName: boolean): { opts: InstallOptions; help: boolean } {
  const p = parseOptions(
    args,
    ["--user", "--sys-prefix"],
    withDisplayName ? ["--prefix", "--name", "--display-name"] : ["--prefix", "--name"],
  );
  const opts: InstallOptions = {
    user: p.flags.has("--user"),
    sysPrefix: p.flags.has("--sys-prefix"),
    prefix: p.values.get("--prefix"),
    name: p.values.get("--name"),
    displayName: p.values.get("--display-name"),
  };
  const n = [opts.user, opts.sysPrefix, opts.prefix !== undefined].filter(Boolean).length;
  if (n > 1) throw new UsageError("choose only one of --user, --prefix and --sys-prefix");
  return { opts, help: p.help };
}

function out(s: string): void {
  process.stdout.write(s.endsWith("\n") ? s : s + "\n");
}

async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h") {
    out(SUMMARY);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "--version" || cmd === "-V") {
    out(packageVersion());
    return 0;
  }
  if (cmd === "help") {
    const topic = rest[0];
    if (!topic) {
      out(SUMMARY);
      return 0;
    }
    if (!USAGE[topic]) throw new UsageError(`no such command: ${topic}`);
    out(USAGE[topic]);
    return 0;
  }
  switch (cmd) {
    case "install": {
      const { opts, help } = specOptions(rest, true);
      if (help) return out(USAGE.install), 0;
      const dir = install(opts);
      out(`Installed kernelspec ${opts.name ?? "reglab"} in ${dir}`);
      return 0;
    }
    case "uninstall": {
      const { opts, help } = specOptions(rest, false);
      if (help) return out(USAGE.uninstall), 0;
      const dir = uninstall(opts);
      out(`Removed kernelspec ${opts.name ?? "reglab"} from ${dir}`);
      return 0;
    }
    case "kernelspec": {
      const { opts, help } = specOptions(rest, true);
      if (help) return out(USAGE.kernelspec), 0;
      out(describe(opts));
      return 0;
    }
    case "kernel": {
      // Jupyter appends the front end's extra arguments to the kernel's argv (`jupyter run
      // --kernel=reglab s.ts` passes s.ts); like ipykernel, start anyway and say what was ignored.
      const ignored: string[] = [];
      const p = parseOptions(rest, [], ["--connection-file"], ignored);
      if (p.help) return out(USAGE.kernel), 0;
      const file = p.values.get("--connection-file");
      if (!file) throw new UsageError("kernel needs --connection-file FILE");
      if (ignored.length > 0)
        process.stderr.write(`reglab kernel: ignoring extra arguments: ${ignored.map((a) => JSON.stringify(a)).join(" ")}\n`);
      const { startKernel } = require("./main") as typeof import("./main");
      await startKernel(file);
      return -1; // keep running
    }
    case "run":
      return await runCommand(rest);
    case "check":
      return await checkCommand(rest);
    case "convert":
      return await convertCommand(rest);
    default:
      throw new UsageError(`unknown command: ${cmd}`);
  }
}

/** Run the CLI; sets process.exitCode (and exits, except for a running kernel). */
export async function main(argv: string[]): Promise<void> {
  let code: number;
  try {
    code = await dispatch(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      const cmd = argv[0];
      process.stderr.write(`reglab: ${e.message}\n\n${(cmd && USAGE[cmd]) || SUMMARY}\n`);
      code = 2;
    } else {
      process.stderr.write(`reglab: ${e instanceof Error ? e.message : String(e)}\n`);
      code = 1;
    }
  }
  if (code >= 0) process.exitCode = code;
}
