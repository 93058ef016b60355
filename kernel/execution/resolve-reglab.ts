/**
 * Makes a notebook in ANY directory see reglab and reglab's dependencies,
 * even when its folder has no node_modules: the kernel IS the reglab
 * package, so
 *   - `reglab` and `reglab/<rest>` always mean this package (root R);
 *   - any other bare specifier that the notebook's folder D (and its
 *     ancestors) cannot resolve falls back to R/node_modules — as if R's
 *     dependencies were installed in D/node_modules. A package the user has
 *     in D's chain of node_modules always wins.
 *
 * Run time: Node's `Module._resolveFilename` maps `reglab[/rest]` to R; any
 * other bare request that fails with MODULE_NOT_FOUND is retried with
 * `paths: [R]`. reglab's own requires resolve from R first, so a cell that
 * imports `@tensorflow/tfjs` gets the very module instance reglab uses (one
 * tfjs-core, one engine).
 *
 * Type checking: tslab compiles cells with its TypeScript fork through a
 * `sys` object that delegates to the fork's `ts.sys` at call time, so we
 * patch `ts.sys`:
 *   - `<anything>/node_modules/reglab/<rest>` is read from `R/<rest>`, and
 *     its realpath is the R file (reglab's types are loaded once, from R);
 *   - "virtual" packages — P exists in R/node_modules and nowhere in
 *     D/node_modules, D/../node_modules, … — are mirrored at D/node_modules/P:
 *     reads map D/node_modules/P/<rest> → R/node_modules/P/<rest>, and
 *     `realpath` maps the other way, R/node_modules/P/<rest> →
 *     D/node_modules/P/<rest>. So every copy of P's types (imported by a cell
 *     or by reglab's own .d.ts files) is ONE source file named under
 *     D/node_modules, and the declaration emitter (tslab compiles with
 *     `declaration: true`, so every top-level variable's type must be
 *     nameable) names it `"P/…"`. With realpath pointing at R instead, a
 *     type reached only through reglab (`const hf = historyToFrame(h)`, a
 *     danfo DataFrame) could only be named "reglab/node_modules/danfojs-node",
 *     which TypeScript rejects as not portable (TS2742).
 *   - Inside a mirrored package, `D/node_modules/P/node_modules/Q` maps to
 *     R/node_modules/Q when R has no nested copy and the user has their own
 *     Q: P's types then bind to the Q that P really loads at run time, not to
 *     the user's.
 *
 * Must run before tslab creates its converter (the program is built then),
 * with D = the converter's working directory (the kernel's cwd).
 */
import fs from "fs";
import Module from "module";
import path from "path";
import { packageRoot } from "../kernelspec";
import { typescriptFork } from "./typescript-fork";

let installed = false;

/** `<anything>/node_modules/reglab[/rest]` → `<root>[/rest]`; other paths unchanged. */
export function mapReglabPath(p: string, root: string): string {
  const m = /^(.*)[\\/]node_modules[\\/]reglab(?:([\\/].*))?$/.exec(p);
  if (!m) return p;
  return path.join(root, m[2] ?? "");
}

/** `P` and the rest of `<nodeModules>/<P>[/rest]`; `P` may be `@scope/name` or a bare `@scope`. */
export function splitPackagePath(p: string, nodeModules: string): { name: string; rest: string } | null {
  const prefix = nodeModules + path.sep;
  if (!p.startsWith(prefix)) return null;
  const parts = p.slice(prefix.length).split(/[\\/]/);
  if (parts[0] === "" || parts[0] === "." || parts[0] === "..") return null;
  const n = parts[0].startsWith("@") && parts.length > 1 ? 2 : 1;
  const name = parts.slice(0, n).join("/");
  const rest = parts.slice(n).join("/");
  return { name, rest };
}

/** True for `lodash`, `@scope/x`, `lodash/fp`; false for relative, absolute, `node:` and URL-like requests. */
export function isBareSpecifier(request: string): boolean {
  if (!request || request.startsWith(".") || path.isAbsolute(request)) return false;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(request)) return false; // node:fs, file:///...
  return true;
}

/**
 * Which of R's packages a notebook folder D sees as mirrored at D/node_modules
 * (see the module comment). Results are cached for one synchronous burst of
 * calls (a TypeScript program build), so `npm install` in D between cells is
 * noticed.
 */
export class PackageMirror {
  readonly root: string;
  readonly notebookDir: string;
  private readonly dirs: string[];
  private readonly active: boolean;
  /** R/node_modules resolved (it may be a symlink); realpaths of R's packages are under it. */
  private readonly realModules: string;
  private cache = new Map<string, boolean>();
  private clearScheduled = false;

  constructor(root: string, notebookDir: string) {
    this.root = path.resolve(root);
    this.notebookDir = path.resolve(notebookDir);
    const dirs: string[] = [];
    for (let d = this.notebookDir; ; d = path.dirname(d)) {
      dirs.push(d);
      if (path.dirname(d) === d) break;
    }
    this.dirs = dirs;
    // A notebook inside the package already sees R/node_modules: nothing to mirror.
    this.active = !dirs.includes(this.root);
    const modules = path.join(this.root, "node_modules");
    try {
      this.realModules = fs.realpathSync(modules);
    } catch {
      this.realModules = modules;
    }
  }

  /** P is in R/node_modules and in no node_modules of D's chain. */
  isVirtual(name: string): boolean {
    if (!this.active || name === "reglab") return false;
    let v = this.cache.get(name);
    if (v === undefined) {
      v =
        fs.existsSync(path.join(this.root, "node_modules", name)) &&
        !this.dirs.some((d) => fs.existsSync(path.join(d, "node_modules", name)));
      this.cache.set(name, v);
      if (!this.clearScheduled) {
        this.clearScheduled = true;
        setImmediate(() => {
          this.cache = new Map();
          this.clearScheduled = false;
        }).unref();
      }
    }
    return v;
  }

  /** A path TypeScript asks about → the real file system path to use. */
  toReal(p: string): string {
    const s = splitPackagePath(p, path.join(this.notebookDir, "node_modules"));
    if (!s) return p;
    const target = path.join(this.root, "node_modules", s.name, s.rest);
    if (this.isVirtual(s.name)) {
      // P's own dependency Q that R hoisted, while the user has a Q of their own.
      const nested = /^node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/@][^\\/]*)(.*)$/.exec(s.rest);
      if (nested && !this.isVirtual(nested[1]) && !fs.existsSync(path.join(this.root, "node_modules", s.name, "node_modules", nested[1]))) {
        const hoisted = path.join(this.root, "node_modules", nested[1]);
        if (fs.existsSync(hoisted)) return hoisted + nested[2];
      }
      return target;
    }
    // A bare scope folder (`@tensorflow`, `@types`) the user does not have.
    if (this.active && s.name.startsWith("@") && !s.name.includes("/") && !fs.existsSync(p) && fs.existsSync(target)) return target;
    return p;
  }

  /** A real path under R/node_modules → its mirrored name under D/node_modules (when mirrored). */
  toVirtual(real: string): string {
    const s = splitPackagePath(real, this.realModules);
    if (!s || (s.name.startsWith("@") && !s.name.includes("/"))) return real;
    return this.isVirtual(s.name) ? path.join(this.notebookDir, "node_modules", s.name, s.rest) : real;
  }
}

/** The TypeScript fork tslab uses (the same module instance tslab loads). */
function tslabTypeScript(): TsSysHolder {
  return typescriptFork() as unknown as TsSysHolder;
}

/** The slice of `ts.sys` we patch (typed loosely: the fork has no types we compile against). */
interface TsSys {
  fileExists(p: string): boolean;
  readFile(p: string, encoding?: string): string | undefined;
  directoryExists(p: string): boolean;
  realpath?(p: string): string;
  getDirectories(p: string): string[];
  readDirectory(p: string, ...rest: unknown[]): string[];
  getModifiedTime?(p: string): Date | undefined;
  watchFile?(p: string, ...rest: unknown[]): unknown;
  watchDirectory?(p: string, ...rest: unknown[]): unknown;
}
interface TsSysHolder {
  sys: TsSys;
}

function isModuleNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND";
}

/**
 * Install both halves (once per process). `notebookDir` is where cells live
 * (tslab's converter root); default: the current directory.
 */
export function installReglabResolution(root: string = packageRoot(), notebookDir: string = process.cwd()): void {
  if (installed) return;
  installed = true;
  const mirror = new PackageMirror(root, notebookDir);

  // Run time.
  type ResolveFn = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
  const M = Module as unknown as { _resolveFilename: ResolveFn };
  const origResolve = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request: string, parent: unknown, isMain: boolean, options?: unknown) {
    if (request === "reglab") request = root;
    else if (request.startsWith("reglab/")) request = path.join(root, request.slice("reglab/".length));
    try {
      return origResolve.call(this, request, parent, isMain, options);
    } catch (e) {
      if (!isModuleNotFound(e) || !isBareSpecifier(request)) throw e;
      try {
        return origResolve.call(this, request, parent, isMain, { paths: [root] });
      } catch {
        throw e; // the original error names the notebook's search paths
      }
    }
  };

  // Type checking.
  const sys = tslabTypeScript().sys;
  const map = (p: string): string => (typeof p === "string" ? mirror.toReal(mapReglabPath(p, root)) : p);
  const orig = {
    fileExists: sys.fileExists,
    readFile: sys.readFile,
    directoryExists: sys.directoryExists,
    realpath: sys.realpath,
    getDirectories: sys.getDirectories,
    readDirectory: sys.readDirectory,
    getModifiedTime: sys.getModifiedTime,
    watchFile: sys.watchFile,
    watchDirectory: sys.watchDirectory,
  };
  sys.fileExists = (p) => orig.fileExists.call(sys, map(p));
  sys.readFile = (p, enc) => orig.readFile.call(sys, map(p), enc);
  sys.directoryExists = (p) => orig.directoryExists.call(sys, map(p));
  sys.getDirectories = (p) => orig.getDirectories.call(sys, map(p));
  // readDirectory returns real paths of the mapped folder; TypeScript only uses it for config file globs.
  sys.readDirectory = (p, ...rest) => orig.readDirectory.call(sys, map(p), ...rest);
  const realpath = orig.realpath;
  if (realpath) sys.realpath = (p) => (typeof p === "string" ? mirror.toVirtual(realpath.call(sys, map(p))) : p);
  const mtime = orig.getModifiedTime;
  if (mtime) sys.getModifiedTime = (p) => mtime.call(sys, map(p));
  const watchFile = orig.watchFile;
  if (watchFile) sys.watchFile = (p, ...rest) => watchFile.call(sys, map(p), ...rest);
  const watchDirectory = orig.watchDirectory;
  if (watchDirectory) sys.watchDirectory = (p, ...rest) => watchDirectory.call(sys, map(p), ...rest);
}
