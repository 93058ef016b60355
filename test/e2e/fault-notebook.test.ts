/**
 * RELIABILITY.md's kernel faults as a notebook, each followed by a probe
 * cell, executed by Debian's nbclient on the installed kernelspec and the
 * default backend: every probe answers (none lost to a dead kernel) with the
 * variable defined before all the faults, and each fault cell shows its error.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import fs from "fs";
import path from "path";
import { packageRoot } from "../../kernel/kernelspec";
import { PEER_PYTHON, installTestKernelspec, requirePeer } from "../support/kernel-fixture";

const RUNNER = path.join(packageRoot(), "test", "e2e", "fault-notebook", "run_notebook.py");

interface Fault {
  code: string;
  /** What the fault cell's error or stderr must say (null: it must simply not kill the kernel). */
  shows: RegExp | null;
  /** Seconds before nbclient interrupts it (for cells that never end by themselves). */
  timeout?: number;
}

// The rows of RELIABILITY.md's table that a notebook cell can cause.
const FAULTS: Fault[] = [
  { code: "const broken = (;", shows: /SyntaxError/ },
  { code: "const n: number = 'not a number';", shows: /TSError/ },
  { code: "throw {a: 1}", shows: /\{ a: 1 \}/ },
  { code: "throw null", shows: /null/ },
  { code: 'Promise.reject(new Error("late"));', shows: /Unhandled promise rejection: Error: late/ },
  {
    code: 'setTimeout(() => { throw new Error("async boom"); }, 10);\nawait new Promise((r) => setTimeout(r, 100));',
    shows: /Uncaught exception: Error: async boom/,
  },
  { code: 'setTimeout(() => { throw new Error("after the cell"); }, 10);', shows: null },
  { code: "Promise.reject(42);", shows: /Unhandled promise rejection/ },
  { code: "while (true) {}", shows: /Interrupted/, timeout: 4 },
  { code: "await new Promise((r) => setTimeout(r, 3_600_000));", shows: /Interrupted/, timeout: 4 },
  { code: "tf.zeros([1e6, 1e6])", shows: /RangeError/ },
  { code: "new Uint8Array(2 ** 33)", shows: /RangeError/ },
  { code: "function recurse(): number { return recurse() + 1 }\nrecurse()", shows: /Maximum call stack size exceeded/ },
  { code: "(".repeat(5000) + "1" + ")".repeat(5000), shows: /TypeScript compiler failed/ },
  { code: "process.exit()", shows: /ExitDisabledError/ },
  { code: "process.abort()", shows: /ExitDisabledError/ },
  { code: "process.kill(process.pid)", shows: /ExitDisabledError/ },
  { code: "process.kill(0)", shows: /ExitDisabledError/ },
  { code: "setTimeout(() => process.exit(1), 5);", shows: null },
  { code: "%timeit -n abc 1", shows: /UsageError/ },
  { code: 'const 名前 = "🎉";\n名前', shows: null },
  { code: 'for (let i = 0; i < 100000; i++) console.log("line " + i);', shows: null },
  { code: 'prompt("nbclient does not allow input")', shows: /StdinNotAllowedError/ },
  { code: '%backend cpu\n%backend wasm\nPromise.reject(new Error("after a backend switch"));', shows: /after a backend switch/ },
];

type Output = {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
};
type Cell = { cell_type: string; source: string; metadata: Record<string, unknown>; outputs?: Output[] };

const join = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join("") : (v ?? ""));
function cellText(c: Cell): string {
  return (c.outputs ?? []).map((o) => [join(o.text), o.ename ?? "", o.evalue ?? "", ...(o.traceback ?? [])].join("\n")).join("\n");
}

describe("a notebook of RELIABILITY.md's faults under nbclient", { timeout: 400_000 }, () => {
  test("every probe cell answers on the default backend", () => {
    requirePeer("nbclient", "python3-nbclient");
    const spec = installTestKernelspec("reglab-fault-nb-");
    try {
      const cell = (source: string, metadata: Record<string, unknown> = {}): Cell => ({ cell_type: "code", source, metadata, outputs: [] });
      const cells: Cell[] = [cell('import { tf } from "reglab";\nconst keepMe = "kept";')];
      FAULTS.forEach((f, i) => {
        cells.push(cell(f.code, f.timeout ? { reglab_timeout: f.timeout } : {}));
        cells.push(cell(`keepMe + ":${i}"`));
      });
      const nb = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: spec.name, display_name: "reglab", language: "typescript" } },
        cells: cells.map((c, i) => ({ ...c, id: `c${i}`, execution_count: null })),
      };
      const file = path.join(spec.dir, "faults.ipynb");
      fs.writeFileSync(file, JSON.stringify(nb));
      const r = spawnSync(PEER_PYTHON, [RUNNER, file, spec.name], { cwd: spec.dir, env: spec.env, encoding: "utf8", timeout: 380_000 });
      assert.equal(r.status, 0, `nbclient: ${r.stderr.split("\n").filter((l) => !l.startsWith("reglab: ")).join("\n").slice(-3000)}`);
      const done = JSON.parse(fs.readFileSync(file, "utf8")) as { cells: Cell[] };
      const lost: string[] = [];
      FAULTS.forEach((f, i) => {
        const fault = done.cells[1 + 2 * i];
        const probe = done.cells[2 + 2 * i];
        const answer = (probe.outputs ?? []).find((o) => o.output_type === "execute_result");
        if (!answer || join(answer.data?.["text/plain"]) !== `'kept:${i}'`) {
          lost.push(`probe after ${JSON.stringify(f.code.slice(0, 60))}: ${cellText(probe).slice(0, 300)}`);
        }
        if (f.shows) assert.match(cellText(fault), f.shows, `fault cell ${JSON.stringify(f.code.slice(0, 60))}`);
      });
      assert.deepEqual(lost, [], "every probe answers");
    } finally {
      fs.rmSync(spec.dir, { recursive: true, force: true });
    }
  });
});
