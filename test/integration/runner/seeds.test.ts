/**
 * Seed variants end to end: `reglab run --seed N` moves the global seed
 * (%seed 42 draws from alea("42/N")) and keeps explicit seeds (rng(1));
 * `reglab check --seeds` reports which cells fail under which seed. The
 * expected draws are computed here with seedrandom's alea, independently of
 * the kernel. The first cell is plain code: a kernel's first compilation
 * draws a few numbers from Math.random, which would shift the stream if
 * %seed came first.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import seedrandom from "seedrandom";
import { cliBuilt, reglab, writeTempNotebook } from "../../support/notebooks";

const skip = cliBuilt() ? false : "the reglab CLI is not built (npm run build)";
const alea = (s: string): number => seedrandom.alea(s)();

describe("seed variants", { skip, timeout: 5 * 60_000 }, () => {
  const file = writeTempNotebook("reglab-seeds-", "luck.ipynb", [
    { source: "const warm = 1;" },
    { source: "%seed 42" },
    { source: 'const u = Math.random();\nconsole.log(u);\nif (u < 0.5) throw new Error("claim needs luck: u = " + u);' },
    { source: 'import { rng } from "reglab";\nconsole.log(rng(1).next());' },
  ]);
  after(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it("reglab run --seed 3: the global seed moves, the data seed stays", () => {
    const out = path.join(path.dirname(file), "out");
    const r = reglab(["run", file, "--seed", "3", "--out", out, "--allow-errors", "--quiet"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const nb = JSON.parse(fs.readFileSync(path.join(out, "luck.ipynb"), "utf8"));
    const stdout = (i: number) =>
      nb.cells[i].outputs
        .filter((o: { name?: string }) => o.name === "stdout")
        .map((o: { text: string[] }) => o.text.join(""))
        .join("");
    assert.equal(stdout(1), "Seed set to 42 (seed variant 3 from REGLAB_SEED_VARIANT)\n");
    assert.equal(Number(stdout(2)), alea("42/3"));
    assert.notEqual(alea("42/3"), alea("42"));
    assert.equal(Number(stdout(3)), alea("1"), "rng(1) is the same under any variant");
  });

  it("reglab check --seeds 1,2,3 names the seeds and cells that fail", () => {
    const seeds = [1, 2, 3];
    const failing = seeds.filter((s) => alea(`42/${s}`) < 0.5);
    assert.ok(failing.length > 0 && failing.length < seeds.length, "the fixture needs lucky and unlucky seeds");
    const r = reglab(["check", file, "--seeds", seeds.join(","), "--quiet"]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    for (const s of seeds) {
      if (failing.includes(s))
        assert.match(
          r.stdout,
          new RegExp(
            `^seed ${s}: \\S*luck\\.ipynb: 1 failing: cell 3 \\(id c3\\) \`const u = Math.random\\(\\);\`: Error: claim needs luck`,
            "m",
          ),
        );
      else assert.match(r.stdout, new RegExp(`^seed ${s}: \\S*luck\\.ipynb: ok$`, "m"));
    }
    assert.match(r.stdout, new RegExp(`luck\\.ipynb: fails under seeds? ${failing.join(", ")}$`, "m"));
  });

  it("check --seeds with only lucky seeds exits 0", () => {
    const lucky = [1, 2, 3, 4, 5].filter((s) => alea(`42/${s}`) >= 0.5).slice(0, 2);
    const r = reglab(["check", file, "--seeds", lucky.join(","), "--quiet"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /luck\.ipynb: ok under every seed/);
  });

  it("usage errors: --seeds with --update, a non-integer seed, --seed on check", () => {
    assert.match(reglab(["check", file, "--seeds", "1", "--update"]).stderr, /--update and --seeds do not go together/);
    assert.match(reglab(["check", file, "--seeds", "1,x"]).stderr, /--seeds needs an integer, got "x"/);
    const r = reglab(["check", file, "--seed", "1"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--seed is an option of reglab run, not of reglab check/);
  });
});
