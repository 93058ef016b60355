/**
 * The tree's shape (issue 12): no source file over 450 lines, no line over 140 characters, and a test tree
 * that mirrors the source, so that the tests of kernel/magics/parse.ts are under test/unit/kernel/magics/ and
 * those of src/charts/render.ts under test/unit/charts/. Reads the git-tracked files; starts no kernel.
 */
import { execFileSync } from "child_process";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import path from "path";
import { REPO_ROOT } from "../support/paths";

const MAX_FILE_LINES = 450;
const MAX_LINE_CHARS = 140;
const SOURCE = /^(src|kernel|bench|test|bin)\/.+\.(ts|js|py)$/;

/**
 * Lines that cannot be broken, each with its reason: `contains` picks the line(s) in `file`. Prefer none; an
 * entry that no longer matches a long line fails the test, so the list cannot go stale.
 */
const LONG_LINES_ALLOWED: ReadonlyArray<{ file: string; contains: string; why: string }> = [];

const isCheckout = fs.existsSync(path.join(REPO_ROOT, ".git"));

/** Tracked files (paths relative to the root, with /); a tracked file deleted in the work tree has no lines to check. */
function trackedFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return out.split("\0").filter((f) => f !== "" && fs.existsSync(path.join(REPO_ROOT, f)));
}

function sourceFiles(): Array<{ file: string; lines: string[] }> {
  return trackedFiles()
    .filter((f) => SOURCE.test(f))
    .map((file) => {
      const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
      const lines = text.split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      return { file, lines };
    });
}

/** Characters as an editor counts them (code points, so an emoji is one). */
const width = (line: string): number => [...line.replace(/\r$/, "")].length;

describe("source tree structure", { skip: isCheckout ? false : "not a git checkout (no .git at the repository root)" }, () => {
  it(`no source file over ${MAX_FILE_LINES} lines`, () => {
    const problems = sourceFiles()
      .filter(({ lines }) => lines.length > MAX_FILE_LINES)
      .map(({ file, lines }) =>
        `${file}: ${lines.length} lines (limit ${MAX_FILE_LINES}); split it into modules of one concept each ` +
        `(its tests into test files that mirror them)`);
    assert.deepEqual(problems, []);
  });

  it(`no line over ${MAX_LINE_CHARS} characters`, () => {
    const problems: string[] = [];
    const allowedUsed = new Set<number>();
    for (const { file, lines } of sourceFiles()) {
      lines.forEach((line, i) => {
        const n = width(line);
        if (n <= MAX_LINE_CHARS) return;
        const allowed = LONG_LINES_ALLOWED.findIndex((a) => a.file === file && line.includes(a.contains));
        if (allowed >= 0) {
          allowedUsed.add(allowed);
          return;
        }
        problems.push(
          `${file}:${i + 1}: ${n} characters (limit ${MAX_LINE_CHARS}); break the line: one argument or property per line, ` +
          `long strings split with +, long regexes built from /a/.source + /b/.source`);
      });
    }
    LONG_LINES_ALLOWED.forEach((a, k) => {
      if (!allowedUsed.has(k)) {
        problems.push(`LONG_LINES_ALLOWED entry for ${a.file} ("${a.contains}") matches no long line: remove it`);
      }
    });
    assert.deepEqual(problems, []);
  });

  it("every folder under test/unit/ mirrors a folder of src/ (test/unit/kernel/<x>/ one of kernel/<x>/)", () => {
    const files = trackedFiles();
    const folders = new Set(files.map((f) => path.posix.dirname(f)));
    // A folder exists in the source tree if some tracked file is in it or below it.
    const sourceFolder = (dir: string): boolean => [...folders].some((d) => d === dir || d.startsWith(`${dir}/`));
    const testFolders = new Set<string>();
    for (const f of files) {
      if (!f.startsWith("test/unit/")) continue;
      const parts = path.posix.dirname(f).split("/").slice(2);
      for (let k = 1; k <= parts.length; k++) testFolders.add(parts.slice(0, k).join("/"));
    }
    const problems = [...testFolders].sort().flatMap((rel) => {
      const mirror = rel === "kernel" || rel.startsWith("kernel/") ? rel : `src/${rel}`;
      if (sourceFolder(mirror)) return [];
      return [
        `test/unit/${rel}/: there is no ${mirror}/ for it to mirror; move its tests (git mv) to the test/unit/ folder named like ` +
        `the folder of the module they test (test/unit/<x>/ for src/<x>/, test/unit/kernel/<x>/ for kernel/<x>/) and fix their imports`,
      ];
    });
    assert.deepEqual(problems, []);
  });
});
