/**
 * KernelClient against Debian's IPython kernel (a reference Jupyter kernel,
 * independent of reglab's own). Skipped when /usr/bin/python3 lacks ipykernel.
 */
import { execFileSync } from "child_process";
import fs from "fs";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { KernelClient, KernelDiedError, TimeoutError } from "../../../kernel/protocol/client";
import { CellWaitError, executeCell } from "../../../kernel/runner/execute-cell";

const PY = "/usr/bin/python3";
const IPY_ARGV = [PY, "-m", "ipykernel_launcher", "-f", "{connection_file}"];

function ipykernelMissing(): string | false {
  try {
    execFileSync(PY, ["-c", "import ipykernel"], { stdio: "ignore" });
    return false;
  } catch {
    return `skipped: ${PY} cannot import ipykernel (apt-get install python3-ipykernel)`;
  }
}
const skip = ipykernelMissing();

describe("KernelClient with ipykernel", { skip }, () => {
  let k: KernelClient;
  before(async () => {
    k = await KernelClient.start({ argv: IPY_ARGV });
  });
  after(async () => {
    await k?.shutdown();
  });

  it("answers kernel_info with Python's language_info", async () => {
    const r = await k.request("kernel_info_request");
    assert.equal(r.header.msg_type, "kernel_info_reply");
    const li = r.content.language_info as { name: string };
    assert.equal(li.name, "python");
    assert.ok(fs.existsSync(k.connectionFile));
    assert.equal(await k.heartbeat(), true);
  });

  it("collects stdout, stderr, display_data and execute_result", async () => {
    const seen: string[] = [];
    const r = await executeCell(k, 
      [
        "import sys",
        "print('a'); print('b')",
        "print('e', file=sys.stderr)",
        "from IPython.display import display, HTML",
        "display(HTML('<b>x</b>'), metadata={'k': 1})",
        "6*7",
      ].join("\n"),
      { onOutput: (o) => seen.push(o.output_type) },
    );
    assert.equal(r.status, "ok");
    assert.equal(typeof r.executionCount, "number");
    assert.deepEqual(
      r.outputs.map((o) => o.output_type),
      ["stream", "stream", "display_data", "execute_result"],
    );
    const [out, err, disp, res] = r.outputs;
    assert.deepEqual(out, { output_type: "stream", name: "stdout", text: "a\nb\n" });
    assert.deepEqual(err, { output_type: "stream", name: "stderr", text: "e\n" });
    assert.equal(disp.output_type === "display_data" && disp.data["text/html"], "<b>x</b>");
    assert.deepEqual(disp.output_type === "display_data" && disp.metadata, { k: 1 });
    assert.ok(res.output_type === "execute_result");
    assert.equal(res.data["text/plain"], String(6 * 7));
    assert.equal(res.execution_count, r.executionCount);
    assert.ok(seen.includes("display_data") && seen.includes("execute_result"));
    // Every iopub message collected belongs to this request.
    for (const m of r.iopub) assert.equal((m.parent_header as { msg_id: string }).msg_id, r.reply.parent_header.msg_id);
  });

  it("updates a display from a later execution in place", async () => {
    const first = await executeCell(k, "from IPython.display import display\nh = display('one', display_id=True)");
    const second = await executeCell(k, "h.update('two')");
    assert.equal(second.outputs.length, 0);
    const d = first.outputs[0];
    assert.ok(d.output_type === "display_data");
    assert.equal(d.data["text/plain"], "'two'");
  });

  it("clear_output(wait=True) keeps only what follows", async () => {
    const r = await executeCell(k, 
      "from IPython.display import clear_output\nfor i in range(3):\n    clear_output(wait=True)\n    print(i)",
    );
    assert.deepEqual(r.outputs, [{ output_type: "stream", name: "stdout", text: "2\n" }]);
  });

  it("reports an error with its traceback", async () => {
    // stopOnError false: with true, ipykernel 6 also aborts requests arriving just after the error reply.
    const r = await executeCell(k, "1/0", { stopOnError: false });
    assert.equal(r.status, "error");
    const e = r.outputs.find((o) => o.output_type === "error");
    assert.ok(e && e.output_type === "error");
    assert.equal(e.ename, "ZeroDivisionError");
    assert.ok(e.traceback.length > 0);
  });

  it("times out and interrupts `while True: pass`", async () => {
    // stopOnError false: ipykernel would otherwise abort the next request racing with its error reply.
    const err = await executeCell(k, "while True: pass", { timeoutMs: 500, stopOnError: false }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CellWaitError && err.waitError instanceof TimeoutError, String(err));
    assert.equal(err.reason, "timeout");
    await k.interrupt();
    const r = await err.settled;
    assert.equal(r.status, "error");
    assert.ok(r.outputs.some((o) => o.output_type === "error" && o.ename === "KeyboardInterrupt"));
    // The kernel still works afterwards.
    const ok = await executeCell(k, "2+3");
    assert.equal(ok.status, "ok");
  });

  it("answers complete and is_complete", async () => {
    const c = await k.request("complete_request", { code: "import o", cursor_pos: 8 });
    assert.ok((c.content.matches as string[]).includes("os"));
    const ic = await k.request("is_complete_request", { code: "for i in x:" });
    assert.equal(ic.content.status, "incomplete");
  });
});

describe("KernelClient lifecycle with ipykernel", { skip }, () => {
  it("shuts down cleanly and removes the connection file", async () => {
    const k = await KernelClient.start({ argv: IPY_ARGV });
    const file = k.connectionFile;
    assert.ok(k.isAlive());
    const exit = await k.shutdown();
    assert.equal(exit.code, 0);
    assert.equal(k.isAlive(), false);
    assert.equal(fs.existsSync(file), false);
    await assert.rejects(executeCell(k, "1"));
  });

  it("rejects a running execution when the kernel dies", async () => {
    const k = await KernelClient.start({ argv: IPY_ARGV });
    const run = executeCell(k, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)");
    await assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof KernelDiedError);
      assert.equal(e.exit.signal, "SIGKILL");
      assert.match(e.message, /killed by SIGKILL/);
      return true;
    });
    assert.equal(k.isAlive(), false);
    await k.exited;
  });

  it("fails clearly when the kernel exits at startup", async () => {
    await assert.rejects(
      KernelClient.start({ argv: [PY, "-c", "import sys; sys.stderr.write('no kernel here\\n'); sys.exit(2)"] }),
      (e: unknown) => {
        assert.ok(e instanceof KernelDiedError);
        assert.match(e.message, /no kernel here/);
        assert.match(e.message, /code 2/);
        return true;
      },
    );
  });

  it("times out when the kernel never answers", async () => {
    await assert.rejects(
      KernelClient.start({ argv: [PY, "-c", "import time; time.sleep(30)"] }, { startupTimeoutMs: 1500 }),
      (e: unknown) => e instanceof TimeoutError && /did not become ready/.test(e.message),
    );
  });
});
