/** Files and directories: `%%writefile`, `%run`, `%cd`, `%pwd`. Relative paths are from the kernel's cwd. */
import fs from "fs";
import os from "os";
import path from "path";
import { MagicError } from "./errors";
import { UsageError, parseMagicOptions, splitArgs } from "../options";
import { bareLineMagic } from "./forms";
import type { Magic } from "./registry";
import { stripExports } from "./tsfork";
import { blankMagics } from "./parse";

const WRITEFILE_USAGE = "%%writefile [-a] path\n<file content>";

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/**
 * Replace `file` with `text` atomically: a temp file in the same directory, fsync, rename over
 * it, so an interrupted or failed write never leaves a half file (the old content survives). A
 * symlink is followed (the link stays); an existing file keeps its permission bits.
 */
function writeAtomically(file: string, text: string): void {
  let target = file;
  try {
    target = fs.realpathSync(file);
  } catch {
    // does not exist yet
  }
  let mode: number | undefined;
  try {
    mode = fs.statSync(target).mode & 0o7777;
  } catch {
    // new file: default mode
  }
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fd = fs.openSync(tmp, "wx", mode ?? 0o666);
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (mode !== undefined) fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export const fileMagics: Magic[] = [
  {
    kind: "cell",
    name: "writefile",
    usage: WRITEFILE_USAGE,
    help:
      "Write the cell body, exactly, to a file relative to the kernel's working directory (-a appends). Prints " +
      "Writing / Overwriting / Appending to, like IPython. A write replaces the file atomically (never half written); " +
      "a directory path is refused.",
    async run(args, body, ctx) {
      const opts = parseMagicOptions(splitArgs(args), { flags: ["-a"] }, WRITEFILE_USAGE);
      if (opts.positional.length !== 1) throw new UsageError(`%%writefile needs exactly one path.\nUsage: ${WRITEFILE_USAGE}`);
      const file = expandHome(opts.positional[0]);
      const exists = fs.existsSync(file);
      const append = opts.flags.has("-a");
      if (exists && fs.statSync(file).isDirectory()) {
        throw new MagicError(
          "IsADirectoryError",
          `${opts.positional[0]} is a directory; give a file path, e.g. ${path.join(opts.positional[0], "file.ts")}`,
        );
      }
      try {
        if (append) fs.appendFileSync(file, body);
        else writeAtomically(file, body);
      } catch (e) {
        throw new MagicError("OSError", `cannot write ${opts.positional[0]}: ${(e as Error).message}`);
      }
      ctx.io.stdout(`${append && exists ? "Appending to" : exists ? "Overwriting" : "Writing"} ${opts.positional[0]}\n`);
    },
  },
  {
    kind: "line",
    name: "run",
    usage: "%run file.ts",
    help:
      "Run a TypeScript file's content in the notebook's context, as IPython's %run does: its top-level names, exported " +
      "or not, become notebook variables (export modifiers are dropped; `export default <expr>` runs <expr>; " +
      "`export { a as b }` defines b). Line magics in the file run too; error line numbers are the file's.",
    async run(args, ctx) {
      const words = splitArgs(args);
      if (words.length !== 1) throw new UsageError("%run needs one file.\nUsage: %run file.ts");
      const file = expandHome(words[0]);
      if (!fs.existsSync(file)) throw new MagicError("FileNotFoundError", `File \`${words[0]}\` not found (cwd: ${process.cwd()}).`);
      const code = fs.readFileSync(file, "utf8");
      // Parsed with magic lines blanked (same length), so a `%magic` line in the file cannot derail TypeScript's parser.
      return ctx.run(stripExports(code, blankMagics(code)));
    },
  },
  {
    kind: "line",
    name: "cd",
    usage: "%cd [dir]",
    help: "Change the kernel's working directory (home without an argument) and print it.",
    async run(args, ctx) {
      const words = splitArgs(args);
      if (words.length > 1) throw new UsageError("%cd takes one directory.\nUsage: %cd [dir]");
      const dir = expandHome(words[0] ?? "~");
      try {
        process.chdir(dir);
      } catch (e) {
        throw new MagicError("OSError", `cannot cd to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      ctx.io.stdout(process.cwd() + "\n");
    },
  },
  bareLineMagic("pwd", "The kernel's working directory (as the cell's value).", async () => ({
    status: "ok",
    hasValue: true,
    value: process.cwd(),
  })),
];
