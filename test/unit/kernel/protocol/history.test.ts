/**
 * The kernel's input history: persisted across sessions (a new kernel of the
 * same spec is the next session), tail/range/search (glob, unique, n),
 * bounded, and a corrupt file is set aside with a warning.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import os from "os";
import path from "path";
import { HistoryStore, MAX_ENTRIES, globToRegExp } from "../../../../kernel/protocol/history";
import { parseHistoryRequest } from "../../../../kernel/protocol/messages";

function tmpFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reglab-hist-")), "h", "reglab.json");
}

describe("HistoryStore", () => {
  test("sessions persist: the next kernel sees the earlier session and is numbered after it", () => {
    const file = tmpFile();
    const a = new HistoryStore(file);
    a.add(1, "const x = 1", null);
    a.add(2, "x + 1", "2");
    const b = new HistoryStore(file);
    assert.equal(a.session, 1);
    assert.equal(b.session, 2);
    b.add(1, "x * 3", null);
    assert.deepEqual(b.query(parseHistoryRequest({ hist_access_type: "tail", n: 10 })), [
      [1, 1, "const x = 1"],
      [1, 2, "x + 1"],
      [2, 1, "x * 3"],
    ]);
    // Range: session 0 is this one, -1 the one before; stop is exclusive.
    const previous = b.query(parseHistoryRequest({ hist_access_type: "range", session: -1, start: 2, stop: 3, output: true }));
    assert.deepEqual(previous, [[1, 2, ["x + 1", "2"]]]);
    assert.deepEqual(b.query(parseHistoryRequest({ hist_access_type: "range", session: 0, start: 1 })), [[2, 1, "x * 3"]]);
  });

  test("search: a glob over the whole input, unique keeps the newest, n the last n", () => {
    const h = new HistoryStore(null);
    ["a = 1", "b = 2", "a = 1", "print(a)", "a = 1"].forEach((code, i) => h.add(i + 1, code, null));
    const q = (c: Record<string, unknown>) => h.query(parseHistoryRequest({ hist_access_type: "search", ...c })).map((e) => e[1]);
    assert.deepEqual(q({ pattern: "a = *" }), [1, 3, 5]);
    assert.deepEqual(q({ pattern: "a = *", unique: true }), [5]);
    assert.deepEqual(q({ pattern: "*a*", n: 2 }), [4, 5]);
    assert.deepEqual(q({ pattern: "?rint(a)" }), [4]);
    assert.ok(!globToRegExp("a.b").test("axb"), "only * and ? are wildcards");
  });

  test("bounded (MAX_ENTRIES by default), newest kept", () => {
    assert.ok(MAX_ENTRIES >= 1000);
    const file = tmpFile();
    const h = new HistoryStore(file, undefined, 50);
    for (let i = 1; i <= 55; i++) h.add(i, `c${i}`, null);
    const all = new HistoryStore(file, undefined, 50).query(parseHistoryRequest({ hist_access_type: "tail", n: 100 }));
    assert.equal(all.length, 50);
    assert.equal(all[0][2], "c6");
  });

  test("a corrupt file is set aside with a warning; history starts empty and works", () => {
    const file = tmpFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "{not json");
    const logs: string[] = [];
    const h = new HistoryStore(file, (l) => logs.push(l));
    assert.match(logs.join("\n"), /is corrupt .*set aside as .*\.corrupt-\d+/);
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.includes(".corrupt-"));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(path.dirname(file), aside[0]), "utf8"), "{not json", "the bad file is kept for the user");
    h.add(1, "ok()", null);
    assert.deepEqual(new HistoryStore(file).query(parseHistoryRequest({ hist_access_type: "tail", n: 1 })), [[1, 1, "ok()"]]);
  });

  test("each cell appends one line: the file is never rewritten while the kernel runs", () => {
    const file = tmpFile();
    const h = new HistoryStore(file, undefined, 50);
    for (let i = 1; i <= 30; i++) h.add(i, `c${i}`, null);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 30);
    assert.deepEqual(JSON.parse(lines[29]), { session: 1, line: 30, input: "c30", output: null });
  });

  test("a query sees what another kernel of the spec appended meanwhile", () => {
    const file = tmpFile();
    const a = new HistoryStore(file);
    const b = new HistoryStore(file);
    a.add(1, "from a", null);
    b.add(1, "from b", null);
    const tail = (h: HistoryStore) => h.query(parseHistoryRequest({ hist_access_type: "tail", n: 10 })).map((e) => e[2]);
    assert.deepEqual(tail(a), ["from a", "from b"]);
    assert.deepEqual(tail(b), ["from a", "from b"]);
  });

  test("a torn last line (a kernel killed mid-write) is skipped with a note; the rest is kept", () => {
    const file = tmpFile();
    new HistoryStore(file).add(1, "kept", null);
    fs.appendFileSync(file, '{"session":1,"line":2,"inp');
    const logs: string[] = [];
    const h = new HistoryStore(file, (l) => logs.push(l));
    assert.match(logs.join("\n"), /skipped 1 unreadable line/);
    assert.deepEqual(h.query(parseHistoryRequest({ hist_access_type: "tail", n: 10 })), [[1, 1, "kept"]]);
  });

  test("the one-object file of earlier versions is read and rewritten as lines; a full file is compacted at start", () => {
    const file = tmpFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = [1, 2, 3].map((line) => ({ session: 1, line, input: `old${line}`, output: null }));
    fs.writeFileSync(file, JSON.stringify({ version: 1, entries: old }));
    const h = new HistoryStore(file, undefined, 4);
    assert.equal(h.session, 2);
    assert.equal(fs.readFileSync(file, "utf8").trimEnd().split("\n").length, 3, "rewritten one entry a line");
    for (let i = 1; i <= 6; i++) h.add(i, `new${i}`, null);
    assert.equal(fs.readFileSync(file, "utf8").trimEnd().split("\n").length, 9, "appends until the next start");
    const next = new HistoryStore(file, undefined, 4);
    const kept = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    assert.equal(kept.length, 4, "more than twice the bound: compacted to the newest 4");
    assert.deepEqual(
      next.query(parseHistoryRequest({ hist_access_type: "tail", n: 10 })).map((e) => e[2]),
      ["new3", "new4", "new5", "new6"],
    );
  });
});
