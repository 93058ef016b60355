/**
 * The handler's policy over a fake transport (no ZeroMQ, no tslab): abort of
 * queued requests after an error only with stop_on_error, execution counts,
 * `silent`, execute_input before the cell runs, history of stored cells.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KernelHandler, type Transport } from "../../../../kernel/protocol/handler";
import { newHeader, type Message, type MessageHeader } from "../../../../kernel/protocol/wire";
import type { Channel } from "../../../../kernel/protocol/server";
import type { CellIO, CellOutcome } from "../../../../kernel/execution/types";
import { NullExecutor } from "../../../../kernel/execution/null-executor";

interface Sent {
  kind: "reply" | "publish";
  type: string;
  parent: string | null;
  content: Record<string, unknown>;
}

class FakeTransport implements Transport {
  readonly sent: Sent[] = [];
  async reply(_c: Channel, parent: Message, msgType: string, content: object): Promise<void> {
    this.sent.push({ kind: "reply", type: msgType, parent: parent.header.msg_id, content: content as Record<string, unknown> });
  }
  async publish(parent: MessageHeader | null, msgType: string, content: object): Promise<void> {
    this.sent.push({ kind: "publish", type: msgType, parent: parent?.msg_id ?? null, content: content as Record<string, unknown> });
  }
  replies(type = "execute_reply"): Sent[] {
    return this.sent.filter((s) => s.kind === "reply" && s.type === type);
  }
  of(id: string): Sent[] {
    return this.sent.filter((s) => s.parent === id);
  }
}

/** Cells: "fail" errors, "print:<t>" writes t, anything else evaluates to its own text. */
class FakeExecutor extends NullExecutor {
  readonly ran: string[] = [];
  /** What the transport had sent when each cell started. */
  readonly seenAtStart: string[][] = [];
  constructor(private readonly transport: FakeTransport) {
    super();
  }
  override async run(code: string, io: CellIO): Promise<CellOutcome> {
    this.ran.push(code);
    this.seenAtStart.push(this.transport.sent.map((s) => s.type));
    await new Promise((r) => setImmediate(r));
    if (code === "fail") return { status: "error", ename: "Error", evalue: "failed", traceback: ["Error: failed"] };
    if (code.startsWith("print:")) {
      io.stdout(code.slice(6));
      return { status: "ok", hasValue: false };
    }
    return { status: "ok", hasValue: true, value: code };
  }
}

function request(type: string, content: Record<string, unknown>): Message {
  return { identities: [], header: newHeader(type, "test-session"), parent_header: {}, metadata: {}, content, buffers: [] };
}

function setup() {
  const transport = new FakeTransport();
  const executor = new FakeExecutor(transport);
  const opts = { log: () => undefined, onShutdown: () => undefined, implementationVersion: "t", languageVersion: "t" };
  const handler = new KernelHandler(executor, transport, opts);
  /** Send requests at once (they queue) and wait until every one has its reply. */
  const send = async (...msgs: Message[]): Promise<void> => {
    for (const m of msgs) handler.onMessage("shell", m);
    for (let i = 0; i < 200 && msgs.some((m) => !transport.sent.some((s) => s.kind === "reply" && s.parent === m.header.msg_id)); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { transport, executor, handler, send };
}

describe("KernelHandler policy (fake transport)", () => {
  test("an error with stop_on_error aborts the execute_requests queued behind it; later ones run", async () => {
    const { transport, executor, send } = setup();
    const [a, b, c] = ["fail", "x", "y"].map((code) => request("execute_request", { code }));
    await send(a, b, c);
    assert.deepEqual(executor.ran, ["fail"]);
    assert.deepEqual(transport.replies().map((r) => r.content.status), ["error", "aborted", "aborted"]);
    const d = request("execute_request", { code: "z" });
    await send(d);
    assert.deepEqual(executor.ran, ["fail", "z"]);
    assert.equal(transport.of(d.header.msg_id).find((s) => s.type === "execute_reply")?.content.status, "ok");
  });

  test("stop_on_error: false lets queued requests run", async () => {
    const { transport, executor, send } = setup();
    await send(request("execute_request", { code: "fail", stop_on_error: false }), request("execute_request", { code: "x" }));
    assert.deepEqual(executor.ran, ["fail", "x"]);
    assert.deepEqual(transport.replies().map((r) => r.content.status), ["error", "ok"]);
  });

  test("execution counts: stored requests count, silent and store_history: false do not", async () => {
    const { transport, send } = setup();
    await send(
      request("execute_request", { code: "a" }),
      request("execute_request", { code: "b", silent: true }),
      request("execute_request", { code: "c", store_history: false }),
      request("execute_request", { code: "d" }),
    );
    assert.deepEqual(transport.replies().map((r) => r.content.execution_count), [1, 1, 1, 2]);
    const results = transport.sent.filter((s) => s.type === "execute_result").map((s) => s.content.execution_count);
    assert.deepEqual(results, [1, 1, 2], "a, c (same count as the last stored) and d publish results");
  });

  test("silent: busy/idle only, no execute_input, no output", async () => {
    const { transport, send } = setup();
    const m = request("execute_request", { code: "print:hello", silent: true });
    await send(m);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(transport.of(m.header.msg_id).map((s) => s.type), ["status", "execute_reply", "status"]);
  });

  test("execute_input is sent before the cell starts; outputs carry the request's parent", async () => {
    const { transport, executor, send } = setup();
    const m = request("execute_request", { code: "print:hi" });
    await send(m);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(executor.seenAtStart[0], ["status", "execute_input"]);
    assert.deepEqual(transport.of(m.header.msg_id).map((s) => s.type), ["status", "execute_input", "stream", "execute_reply", "status"]);
  });

  test("history_request answers with the stored cells of this session", async () => {
    const { transport, send } = setup();
    await send(
      request("execute_request", { code: "one" }),
      request("execute_request", { code: "two", store_history: false }),
      request("execute_request", { code: "three" }),
    );
    await send(request("history_request", { hist_access_type: "tail", n: 5, output: true, raw: true }));
    const h = transport.replies("history_reply")[0].content.history as unknown[];
    assert.deepEqual(h, [
      [1, 1, ["one", "'one'"]],
      [1, 2, ["three", "'three'"]],
    ]);
  });
});
