/**
 * `%%writefile` and `%sh` do what their help says and nothing more, over
 * the protocol: exact bytes, the kernel's cwd, atomic replacement, clear
 * refusals; shell commands in the kernel's cwd with their exit status, no
 * stdin.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "fs";
import path from "path";
import { KernelClient } from "../../../kernel/protocol/client";
import { type CellResult, executeCell } from "../../../kernel/runner/execute-cell";
import { useTestKernel } from "../../support/kernel-fixture";
import { streamText } from "../../support/cell-outputs";

let kc: KernelClient;
let dir: string;

async function run(code: string): Promise<CellResult> {
  return executeCell(kc, code, { timeoutMs: 30_000, stopOnError: false });
}
async function ok(code: string): Promise<CellResult> {
  const r = await run(code);
  assert.equal(r.status, "ok", `${code}\n→ ${JSON.stringify(r.outputs).slice(0, 500)}`);
  return r;
}
async function fails(code: string, ename: string, evalue: RegExp): Promise<void> {
  const r = await run(code);
  assert.equal(r.status, "error", code);
  assert.equal(r.reply.content.ename, ename, `${code}: ${String(r.reply.content.evalue)}`);
  assert.match(String(r.reply.content.evalue), evalue);
}
function listing(d: string): string[] {
  return fs.readdirSync(d).sort();
}

useTestKernel("reglab-sec-magics-", (k) => ({ kc, dir } = k), { prepare: (d) => fs.mkdirSync(path.join(d, "sub")) });

describe("%%writefile", { timeout: 60_000 }, () => {
  test("writes exactly the body, relative to the kernel's cwd", async () => {
    const body = "héllo 🎉 名前\n\n  indented\tand tab\nlast line, no newline";
    assert.equal(streamText((await ok(`%%writefile exact.txt\n${body}`)).outputs), "Writing exact.txt\n");
    assert.ok(fs.readFileSync(path.join(dir, "exact.txt")).equals(Buffer.from(body, "utf8")));
    const trailing = "a\n\n\n";
    await ok(`%%writefile trailing.txt\n${trailing}`);
    assert.equal(fs.readFileSync(path.join(dir, "trailing.txt"), "utf8"), trailing, "trailing blank lines kept");
    // After %cd, relative paths follow the kernel's new cwd.
    await ok("%cd sub");
    await ok("%%writefile rel.txt\nin sub");
    assert.equal(fs.readFileSync(path.join(dir, "sub", "rel.txt"), "utf8"), "in sub");
    assert.equal(fs.existsSync(path.join(dir, "rel.txt")), false);
    await ok(`%cd ${dir}`);
  });

  test("overwriting replaces the file atomically, keeps its mode, follows symlinks, leaves no temp file", async () => {
    const f = path.join(dir, "atomic.txt");
    fs.writeFileSync(f, "old content");
    fs.chmodSync(f, 0o640);
    const inode = fs.statSync(f).ino;
    assert.equal(streamText((await ok("%%writefile atomic.txt\nnew content")).outputs), "Overwriting atomic.txt\n");
    assert.equal(fs.readFileSync(f, "utf8"), "new content");
    assert.notEqual(fs.statSync(f).ino, inode, "a new file was renamed over the old one");
    assert.equal(fs.statSync(f).mode & 0o777, 0o640);
    fs.symlinkSync("atomic.txt", path.join(dir, "link.txt"));
    await ok("%%writefile link.txt\nvia the link");
    assert.ok(fs.lstatSync(path.join(dir, "link.txt")).isSymbolicLink(), "the link is still a link");
    assert.equal(fs.readFileSync(f, "utf8"), "via the link");
    assert.deepEqual(listing(dir).filter((n) => n.endsWith(".tmp")), []);
    await ok("%%writefile -a atomic.txt\n+more");
    assert.equal(fs.readFileSync(f, "utf8"), "via the link+more");
  });

  test("refuses a directory path and a missing parent directory clearly, writing nothing", async () => {
    const before = listing(dir);
    await fails("%%writefile sub\nx", "IsADirectoryError", /sub is a directory; give a file path/);
    await fails("%%writefile sub/\nx", "IsADirectoryError", /is a directory/);
    await fails("%%writefile no-such-dir/f.txt\nx", "OSError", /ENOENT/);
    assert.deepEqual(listing(dir), before);
    assert.deepEqual(listing(path.join(dir, "sub")), ["rel.txt"]);
  });

  test("a failed write leaves the old content", {
    skip: process.getuid?.() === 0 ? "root ignores directory permissions" : false
  }, async () => {
    const ro = path.join(dir, "ro");
    fs.mkdirSync(ro);
    fs.writeFileSync(path.join(ro, "keep.txt"), "precious");
    fs.chmodSync(ro, 0o500);
    try {
      await fails("%%writefile ro/keep.txt\nclobbered", "OSError", /EACCES/);
      assert.equal(fs.readFileSync(path.join(ro, "keep.txt"), "utf8"), "precious");
      assert.deepEqual(listing(ro), ["keep.txt"]);
    } finally {
      fs.chmodSync(ro, 0o700);
    }
  });
});

describe("%sh", { timeout: 60_000 }, () => {
  test("runs in the kernel's cwd, with its environment, and passes the text to bash unchanged", async () => {
    assert.equal(streamText((await ok("%sh pwd")).outputs), dir + "\n");
    await ok("%cd sub");
    assert.equal(streamText((await ok("%sh pwd")).outputs), path.join(dir, "sub") + "\n");
    await ok(`%cd ${dir}`);
    await ok("%env REGLAB_SEC_VAR=from-kernel");
    assert.equal(streamText((await ok("%sh echo $REGLAB_SEC_VAR")).outputs), "from-kernel\n");
    assert.equal(streamText((await ok(`%sh printf '%s|' "a  b" 'c'`)).outputs), "a  b|c|");
  });

  test("reports exit codes and signals", async () => {
    await fails("%sh exit 3", "CalledProcessError", /non-zero exit status 3\./);
    await fails("%%sh\necho out\nexit 42", "CalledProcessError", /exit status 42/);
    await fails("%sh kill -9 $$", "CalledProcessError", /died with SIGKILL/);
    const t = await ok("%sh true");
    assert.deepEqual(t.outputs, []);
  });

  test("has no stdin: a command that reads input ends at once instead of hanging", async () => {
    const r = await ok("%sh cat; echo done");
    assert.equal(streamText(r.outputs), "done\n");
  });
});
