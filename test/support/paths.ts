/**
 * Where things are, for tests at any depth: the checkout is the nearest
 * folder above this file with reglab's package.json (this file runs from
 * dist/test/support/).
 */
import fs from "fs";
import path from "path";

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "reglab") return dir;
    if (path.dirname(dir) === dir) throw new Error(`no reglab package.json above ${start}`);
  }
}

/** The checkout's root. */
export const REPO_ROOT = findRoot(__dirname);
/** The compiled tree (`npm run build`). */
export const DIST = path.join(REPO_ROOT, "dist");
/** Test data under test/fixtures. */
export const FIXTURES = path.join(REPO_ROOT, "test", "fixtures");
/** The compiled CLI (what bin/reglab.js runs). */
export const CLI = path.join(DIST, "kernel", "cli.js");
