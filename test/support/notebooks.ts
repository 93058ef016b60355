/** Small notebooks for runner tests, and the reglab CLI as a user runs it. */
import fs from "fs";
import os from "os";
import path from "path";
import { spawnSync } from "child_process";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const CLI = path.join(ROOT, "bin", "reglab.js");
export const cliBuilt = (): boolean => fs.existsSync(path.join(ROOT, "dist", "kernel", "cli.js"));

export interface CellSpec {
  source: string;
  type?: "code" | "markdown" | "raw";
  tags?: string[];
}

/** An nbformat 4.5 notebook (unexecuted) for the reglab kernel. */
export function notebookJson(cells: CellSpec[], metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "reglab", display_name: "TypeScript (reglab)", language: "typescript" }, ...metadata },
    cells: cells.map((c, i) => {
      const type = c.type ?? "code";
      const cell: Record<string, unknown> = {
        cell_type: type, id: `c${i + 1}`, metadata: c.tags ? { tags: c.tags } : {}, source: c.source
      };
      if (type === "code") Object.assign(cell, { execution_count: null, outputs: [] });
      return cell;
    }),
  };
}

/** A temp dir holding `name` with these cells; returns the notebook's path. */
export function writeTempNotebook(prefix: string, name: string, cells: CellSpec[], metadata?: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(notebookJson(cells, metadata), null, 1) + "\n");
  return file;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `reglab <args>` in a child process (default backend, as users run it). */
export function reglab(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10 * 60_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env }, timeout: timeoutMs
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
