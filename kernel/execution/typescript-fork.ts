/**
 * The TypeScript fork tslab compiles cells with (`@tslab/typescript-for-tslab`,
 * TypeScript 5.0), resolved from tslab's own folder so that every user gets the
 * very module instance tslab loaded. Its API is TypeScript's: the project's
 * `typescript` types describe it.
 */
import path from "path";
import type * as TS from "typescript";

let cached: typeof TS | null = null;

/** The fork's module (loaded once; tslab has already loaded it in a kernel). */
export function typescriptFork(): typeof TS {
  if (!cached) {
    const tslabDir = path.dirname(require.resolve("tslab/package.json"));
    cached = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] })) as typeof TS;
  }
  return cached;
}
