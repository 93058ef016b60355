/**
 * The reglab kernelspec: what Jupyter reads to start this kernel, and where
 * it lives. A kernelspec is only a folder `<data dir>/kernels/<name>/` with a
 * `kernel.json`; writing it needs no Python (unlike `tslab install`).
 *
 * Data dirs (as Jupyter's own `jupyter kernelspec install`):
 *   --user        $JUPYTER_DATA_DIR, else ~/.local/share/jupyter (the default)
 *   --prefix P    P/share/jupyter
 *   --sys-prefix  <sys.prefix of the Python that has jupyter_client>/share/jupyter
 */
import { execFileSync } from "child_process";
import fs from "fs";
import os from "os";
import path from "path";

export const DEFAULT_NAME = "reglab";
export const DISPLAY_NAME = "TypeScript (reglab)";

/** Root of this checkout/package (the folder holding package.json and bin/). */
export function packageRoot(): string {
  // Compiled to dist/kernel/kernelspec.js; source at kernel/kernelspec.ts.
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "bin", "reglab.js"))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`reglab: cannot find the package root above ${__dirname}`);
}

/** reglab's version, from its package.json (packageRoot() has just found that file). */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/** The command Jupyter runs; `{connection_file}` is substituted by Jupyter. */
export function kernelArgv(): string[] {
  return [process.execPath, path.join(packageRoot(), "bin", "reglab.js"), "kernel", "--connection-file", "{connection_file}"];
}

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: "typescript";
  interrupt_mode: "signal";
  env?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

export function kernelSpec(opts: { displayName?: string; env?: Record<string, string> } = {}): KernelSpec {
  const spec: KernelSpec = {
    argv: kernelArgv(),
    display_name: opts.displayName ?? DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
  };
  if (opts.env && Object.keys(opts.env).length > 0) spec.env = { ...opts.env };
  return spec;
}

export interface InstallOptions {
  user?: boolean;
  prefix?: string;
  sysPrefix?: boolean;
  name?: string;
  displayName?: string;
}

const NAME_RE = /^[a-z0-9._-]+$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new Error(`invalid kernel name "${name}": use only lowercase ASCII letters, digits, '.', '_' and '-' (as Jupyter requires)`);
  }
  return name;
}

/** `sys.prefix` of a Python that can import jupyter_client, or null. */
function jupyterSysPrefix(): string | null {
  const candidates: string[] = [];
  // The Python behind the `jupyter` command on PATH comes first: that is the Jupyter the user runs.
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const j = path.join(dir, "jupyter");
    if (!dir || !fs.existsSync(j)) continue;
    try {
      const first = fs.readFileSync(j, "utf8").split("\n", 1)[0];
      const m = /^#!\s*(\S+)/.exec(first);
      if (m && !m[1].endsWith("/env")) candidates.push(m[1]);
    } catch {
      // unreadable: skip
    }
    break;
  }
  candidates.push("python3", "/usr/bin/python3", "python");
  for (const py of candidates) {
    try {
      const out = execFileSync(py, ["-c", "import sys, jupyter_client; print(sys.prefix)"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 10_000,
      }).trim();
      if (out) return out;
    } catch {
      // this Python lacks jupyter_client (or does not exist)
    }
  }
  return null;
}

/** The Jupyter data dir that `opts` selects (kernels go in `<it>/kernels`). */
export function dataDir(opts: InstallOptions = {}): string {
  const chosen = [opts.user, opts.prefix !== undefined, opts.sysPrefix].filter(Boolean).length;
  if (chosen > 1) throw new Error("choose only one of --user, --prefix and --sys-prefix");
  if (opts.prefix !== undefined) {
    if (!opts.prefix) throw new Error("--prefix needs a directory");
    return path.join(path.resolve(opts.prefix), "share", "jupyter");
  }
  if (opts.sysPrefix) {
    const prefix = jupyterSysPrefix();
    if (!prefix) {
      throw new Error(
        "--sys-prefix: no Python with jupyter_client found (tried the `jupyter` on PATH, python3, /usr/bin/python3). " +
          "Install Jupyter, or use --user or --prefix <dir>.",
      );
    }
    return path.join(prefix, "share", "jupyter");
  }
  if (process.env.JUPYTER_DATA_DIR) return path.resolve(process.env.JUPYTER_DATA_DIR);
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  const xdg = process.env.XDG_DATA_HOME;
  return path.join(xdg ? xdg : path.join(os.homedir(), ".local", "share"), "jupyter");
}

/** Where the kernelspec folder for `opts` is. */
export function specDir(opts: InstallOptions = {}): string {
  return path.join(dataDir(opts), "kernels", validateName(opts.name ?? DEFAULT_NAME));
}

/** Write `<dir>/kernels/<name>/kernel.json` atomically; returns the folder. */
export function install(opts: InstallOptions = {}): string {
  const dir = specDir(opts);
  fs.mkdirSync(dir, { recursive: true });
  const spec = kernelSpec({ displayName: opts.displayName });
  const target = path.join(dir, "kernel.json");
  const tmp = path.join(dir, `.kernel.json.${process.pid}.${Date.now()}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(spec, null, 2) + "\n");
  fs.renameSync(tmp, target);
  return dir;
}

/** Remove the kernelspec folder; returns it, or throws if nothing was installed there. */
export function uninstall(opts: InstallOptions = {}): string {
  const dir = specDir(opts);
  if (!fs.existsSync(path.join(dir, "kernel.json"))) {
    throw new Error(`no kernelspec installed at ${dir}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** What `reglab kernelspec` prints: the spec JSON and where install would put it. */
export function describe(opts: InstallOptions = {}): string {
  const spec = kernelSpec({ displayName: opts.displayName });
  const dir = specDir(opts);
  const installed = fs.existsSync(path.join(dir, "kernel.json")) ? "installed" : "not installed";
  return `${JSON.stringify(spec, null, 2)}\n# target: ${path.join(dir, "kernel.json")} (${installed})`;
}
