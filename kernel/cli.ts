/**
 * The `reglab` command line (bin/reglab.js calls `main`). Options are read
 * with kernel/options.ts (no dependency). Exit codes: 0 ok, 1 failure, 2 usage error.
 */
import { describe, install, uninstall, packageVersion, type InstallOptions } from "./kernelspec";
import { checkCommand } from "./runner/check";
import { convertCommand } from "./runner/convert";
import { runCommand } from "./runner/run";
import { UsageError, commandWords, usageFailure } from "./options";

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


/** The kernelspec options (`--display-name` only where a spec is written or shown); -h/--help asks for the usage. */
function specOptions(args: string[], withDisplayName: boolean): { opts: InstallOptions; help: boolean } {
  const values = withDisplayName ? ["--prefix", "--name", "--display-name"] : ["--prefix", "--name"];
  const flags = new Set<string>();
  const given = new Map<string, string>();
  for (const w of commandWords(args, { inline: "values", values, flags: ["-h", "--help", "--user", "--sys-prefix"] })) {
    if (w.kind === "argument") throw new UsageError(`unexpected argument ${w.word}`);
    if (w.kind === "flag") flags.add(w.name);
    else given.set(w.name, w.value);
  }
  const opts: InstallOptions = {
    user: flags.has("--user"),
    sysPrefix: flags.has("--sys-prefix"),
    prefix: given.get("--prefix"),
    name: given.get("--name"),
    displayName: given.get("--display-name"),
  };
  const n = [opts.user, opts.sysPrefix, opts.prefix !== undefined].filter(Boolean).length;
  if (n > 1) throw new UsageError("choose only one of --user, --prefix and --sys-prefix");
  return { opts, help: flags.has("-h") || flags.has("--help") };
}

/** What the kernelspec commands do with their options, and the line that says it. */
const SPEC_COMMANDS = new Map<string, { displayName: boolean; act(o: InstallOptions): string }>([
  ["install", { displayName: true, act: (o) => `Installed kernelspec ${o.name ?? "reglab"} in ${install(o)}` }],
  ["uninstall", { displayName: false, act: (o) => `Removed kernelspec ${o.name ?? "reglab"} from ${uninstall(o)}` }],
  ["kernelspec", { displayName: true, act: (o) => describe(o) }],
]);

/**
 * `reglab kernel --connection-file FILE`. Jupyter appends the front end's extra arguments to the kernel's argv
 * (`jupyter run --kernel=reglab s.ts` passes s.ts); like ipykernel, start anyway and say what was ignored.
 */
async function kernelCommand(args: string[]): Promise<number> {
  const ignored: string[] = [];
  let file: string | undefined;
  let help = false;
  const spec = { inline: "values", values: ["--connection-file"], flags: ["-h", "--help"], lenient: true } as const;
  for (const w of commandWords(args, spec)) {
    if (w.kind === "argument") ignored.push(w.word);
    else if (w.kind === "flag") help = true;
    else file = w.value;
  }
  if (help) return out(USAGE.kernel), 0;
  if (!file) throw new UsageError("kernel needs --connection-file FILE");
  if (ignored.length > 0) {
    process.stderr.write(`reglab kernel: ignoring extra arguments: ${ignored.map((a) => JSON.stringify(a)).join(" ")}\n`);
  }
  const { startKernel } = require("./main") as typeof import("./main");
  try {
    await startKernel(file);
  } catch (e) {
    // Exit explicitly: a kernel that failed to start must not linger (a worker or timer could keep
    // the process alive), or its client waits for an answer that never comes instead of restarting it.
    process.stderr.write(`reglab kernel: ${e instanceof Error ? e.message : String(e)}\n`);
    const { exitKernel } = require("./execution/exit-guard") as typeof import("./execution/exit-guard");
    exitKernel(1);
  }
  return -1; // keep running
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
    // An own property only: "toString" and friends are not commands.
    if (!Object.hasOwn(USAGE, topic)) throw new UsageError(`no such command: ${topic}`);
    out(USAGE[topic]);
    return 0;
  }
  const spec = SPEC_COMMANDS.get(cmd);
  if (spec) {
    const { opts, help } = specOptions(rest, spec.displayName);
    out(help ? USAGE[cmd] : spec.act(opts));
    return 0;
  }
  switch (cmd) {
    case "kernel":
      return await kernelCommand(rest);
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
      code = usageFailure("reglab", e, (cmd && USAGE[cmd]) || SUMMARY);
    } else {
      process.stderr.write(`reglab: ${e instanceof Error ? e.message : String(e)}\n`);
      code = 1;
    }
  }
  if (code >= 0) process.exitCode = code;
}
