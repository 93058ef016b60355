/**
 * Makes `import ... from "reglab"` work in a notebook in ANY directory,
 * even one with no node_modules: the kernel IS the reglab package, so
 * `reglab` and `reglab/<rest>` always mean this package.
 *
 * - Run time: Node's `Module._resolveFilename` maps `reglab[/rest]` to this
 *   package root (its package.json `main` is dist/src/index.js).
 * - Type checking: tslab compiles cells with its TypeScript fork through a
 *   `sys` object that delegates to the fork's `ts.sys` at call time, so we
 *   patch `ts.sys`: any `<dir>/node_modules/reglab/<rest>` is read from
 *   `<package root>/<rest>`. `realpath` returns the real file, so TypeScript
 *   resolves reglab's own imports (tfjs) from the package and does not load
 *   a second copy of their types.
 *
 * Must run before tslab creates its converter (the program is built then).
 */
import Module from "module";
import path from "path";
import { packageRoot } from "../kernelspec";

let installed = false;

/** `<anything>/node_modules/reglab[/rest]` → `<root>[/rest]`; other paths unchanged. */
export function mapReglabPath(p: string, root: string): string {
  const m = /^(.*)[\\/]node_modules[\\/]reglab(?:([\\/].*))?$/.exec(p);
  if (!m) return p;
  return path.join(root, m[2] ?? "");
}

/** The TypeScript fork tslab uses (the same module instance tslab loads). */
function tslabTypeScript(): TsSysHolder {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
  return require(tsPath) as TsSysHolder;
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

export function installReglabResolution(root: string = packageRoot()): void {
  if (installed) return;
  installed = true;

  // Run time.
  type ResolveFn = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
  const M = Module as unknown as { _resolveFilename: ResolveFn };
  const origResolve = M._resolveFilename;
  M._resolveFilename = function (this: unknown, request: string, parent: unknown, isMain: boolean, options?: unknown) {
    if (request === "reglab") request = root;
    else if (request.startsWith("reglab/")) request = path.join(root, request.slice("reglab/".length));
    return origResolve.call(this, request, parent, isMain, options);
  };

  // Type checking.
  const sys = tslabTypeScript().sys;
  const map = (p: string): string => (typeof p === "string" ? mapReglabPath(p, root) : p);
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
  sys.readDirectory = (p, ...rest) => orig.readDirectory.call(sys, map(p), ...rest);
  const realpath = orig.realpath;
  if (realpath) sys.realpath = (p) => realpath.call(sys, map(p));
  const mtime = orig.getModifiedTime;
  if (mtime) sys.getModifiedTime = (p) => mtime.call(sys, map(p));
  const watchFile = orig.watchFile;
  if (watchFile) sys.watchFile = (p, ...rest) => watchFile.call(sys, map(p), ...rest);
  const watchDirectory = orig.watchDirectory;
  if (watchDirectory) sys.watchDirectory = (p, ...rest) => watchDirectory.call(sys, map(p), ...rest);
}
