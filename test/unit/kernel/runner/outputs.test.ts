/** iopub → nbformat output conversion, fed with hand-made messages. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DisplayRegistry, OutputCollector, finalizeOutputs, resolveCarriageReturns } from "../../../../kernel/runner/outputs";
import { Message, newHeader } from "../../../../kernel/protocol/wire";

function msg(type: string, content: Record<string, unknown>): Message {
  return { identities: [], header: newHeader(type, "s"), parent_header: {}, metadata: {}, content, buffers: [] };
}
const stream = (name: string, text: string) => msg("stream", { name, text });
const display = (text: string, id?: string) =>
  msg("display_data", { data: { "text/plain": text }, metadata: {}, transient: id ? { display_id: id } : {} });

describe("OutputCollector", () => {
  it("merges consecutive chunks of the same stream only", () => {
    const c = new OutputCollector();
    for (const m of [stream("stdout", "a"), stream("stdout", "b\n"), stream("stderr", "e\n"), stream("stdout", "c\n")]) c.handle(m);
    assert.deepEqual(c.outputs, [
      { output_type: "stream", name: "stdout", text: "ab\n" },
      { output_type: "stream", name: "stderr", text: "e\n" },
      { output_type: "stream", name: "stdout", text: "c\n" },
    ]);
  });

  it("keeps execute_result's count and ignores status/execute_input", () => {
    const c = new OutputCollector();
    c.handle(msg("status", { execution_state: "busy" }));
    c.handle(msg("execute_input", { code: "1", execution_count: 4 }));
    c.handle(msg("execute_result", { data: { "text/plain": "1" }, metadata: { m: 1 }, execution_count: 4 }));
    c.handle(msg("error", { ename: "E", evalue: "v", traceback: ["t1", "t2"] }));
    assert.deepEqual(c.outputs, [
      { output_type: "execute_result", execution_count: 4, data: { "text/plain": "1" }, metadata: { m: 1 } },
      { output_type: "error", ename: "E", evalue: "v", traceback: ["t1", "t2"] },
    ]);
  });

  it("clear_output clears now, or just before the next output with wait", () => {
    const c = new OutputCollector();
    c.handle(stream("stdout", "1\n"));
    c.handle(msg("clear_output", { wait: false }));
    assert.deepEqual(c.outputs, []);
    c.handle(stream("stdout", "2\n"));
    c.handle(msg("clear_output", { wait: true }));
    assert.equal(c.outputs.length, 1, "still shown until something replaces it");
    c.handle(display("3"));
    assert.deepEqual(c.outputs, [{ output_type: "display_data", data: { "text/plain": "3" }, metadata: {} }]);
  });

  it("updates displays by id in this and earlier cells sharing a registry", () => {
    const reg = new DisplayRegistry();
    const updates: string[] = [];
    reg.onUpdate = (id, outs) => updates.push(`${id}x${outs.length}`);
    const cell1 = new OutputCollector(reg);
    cell1.handle(display("p0", "bar"));
    cell1.handle(display("other"));
    const cell2 = new OutputCollector(reg);
    cell2.handle(display("p0 again", "bar"));
    cell2.handle(
      msg("update_display_data", { data: { "text/plain": "p100" }, metadata: { done: true }, transient: { display_id: "bar" } }),
    );
    assert.equal(cell2.outputs.length, 1, "an update adds no output");
    assert.deepEqual(cell1.outputs[0], { output_type: "display_data", data: { "text/plain": "p100" }, metadata: { done: true } });
    assert.deepEqual(cell1.outputs[1], { output_type: "display_data", data: { "text/plain": "other" }, metadata: {} });
    assert.deepEqual(cell2.outputs[0], cell1.outputs[0]);
    assert.deepEqual(updates, ["barx2"]);
    // An update for an unknown id changes nothing.
    assert.equal(reg.update("nope", {}, {}), 0);
  });

  it("forgets cleared outputs so later updates do not resurrect them", () => {
    const reg = new DisplayRegistry();
    const c = new OutputCollector(reg);
    c.handle(display("old", "d"));
    const old = c.outputs[0];
    c.handle(msg("clear_output", { wait: false }));
    assert.equal(reg.update("d", { "text/plain": "new" }, {}), 0);
    assert.ok(old.output_type === "display_data" && old.data["text/plain"] === "old");
  });
});

describe("carriage returns", () => {
  it("keeps what a terminal would show", () => {
    assert.equal(resolveCarriageReturns("no cr\n"), "no cr\n");
    assert.equal(resolveCarriageReturns("10%\r20%\r30%\ndone\n"), "30%\ndone\n");
    assert.equal(resolveCarriageReturns("a\r\nb\n"), "a\nb\n");
    assert.equal(resolveCarriageReturns("1\r2\r"), "2");
  });

  it("finalizeOutputs resolves streams and drops ones left empty", () => {
    const outs = finalizeOutputs([
      { output_type: "stream", name: "stdout", text: "x\r\r" },
      { output_type: "stream", name: "stderr", text: "\r" },
    ]);
    assert.deepEqual(outs, [{ output_type: "stream", name: "stdout", text: "x" }]);
  });
});
