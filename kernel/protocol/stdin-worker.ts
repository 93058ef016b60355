/**
 * The stdin channel, in a worker thread: it binds the stdin ROUTER socket,
 * sends input_request and waits for input_reply while the kernel's main
 * thread may be blocked in a synchronous `prompt()`. The answer is written
 * into shared memory and the main thread woken with Atomics.notify; async
 * callers (`await input()`) get it as a message too.
 *
 * Shared memory layout (Int32 view): [0] id of the last answered request,
 * [1] byte length of its answer (-1: cancelled); bytes from offset 8: UTF-8.
 */
import { isMainThread, parentPort, workerData } from "worker_threads";
import * as zmq from "zeromq";
import { Signer, WireError, decode, encode, newHeader, type MessageHeader } from "./wire";
import { parseInputReply } from "./messages";

export interface StdinWorkerData {
  endpoint: string;
  key: string;
  scheme: string;
  session: string;
  shared: SharedArrayBuffer;
}

export type ToWorker =
  | { type: "ask"; id: number; prompt: string; password: boolean; identities: Uint8Array[]; parent: MessageHeader }
  | { type: "cancel"; id: number }
  | { type: "close" };

export type FromWorker =
  | { type: "answer"; id: number; value: string }
  | { type: "log"; line: string }
  | { type: "ready" }
  | { type: "bindFailed"; error: string };

export const HEADER_BYTES = 8;

function main(): void {
  const data = workerData as StdinWorkerData;
  const port = parentPort;
  if (!port) return;
  const state = new Int32Array(data.shared, 0, 2);
  const bytes = new Uint8Array(data.shared, HEADER_BYTES);
  const signer = new Signer(data.key, data.scheme);
  const sock = new zmq.Router();
  sock.linger = 0;
  /** The request waiting for an answer: its id and the msg_id of our input_request. */
  const st: { pending: { id: number; msgId: string } | null } = { pending: null };
  let closing = false;
  const post = (m: FromWorker) => {
    if (!closing) port.postMessage(m);
  };

  const answer = (id: number, value: string | null): void => {
    let len = -1;
    if (value !== null) {
      const enc = new TextEncoder().encode(value);
      len = Math.min(enc.length, bytes.length);
      bytes.set(enc.subarray(0, len));
    }
    Atomics.store(state, 1, len);
    Atomics.store(state, 0, id);
    Atomics.notify(state, 0);
    if (value !== null) post({ type: "answer", id, value: new TextDecoder().decode(bytes.subarray(0, len)) });
  };

  port.on("message", (m: ToWorker) => {
    if (m.type === "close") {
      closing = true;
      sock.close();
      port.close();
      return;
    }
    if (m.type === "cancel") {
      if (st.pending?.id === m.id) {
        st.pending = null;
        answer(m.id, null);
      }
      return;
    }
    const header = newHeader("input_request", data.session);
    st.pending = { id: m.id, msgId: header.msg_id };
    const frames = encode(signer, {
      identities: m.identities.map((b) => Buffer.from(b)),
      header,
      parent_header: m.parent,
      metadata: {},
      content: { prompt: m.prompt, password: m.password },
    });
    sock.send(frames).catch((e: unknown) => post({ type: "log", line: `stdin send failed: ${String(e)}` }));
  });

  void (async () => {
    try {
      await sock.bind(data.endpoint);
    } catch (e) {
      // The kernel exits on this; its "close" message closes the socket.
      post({ type: "bindFailed", error: e instanceof Error ? e.message : String(e) });
      return;
    }
    post({ type: "ready" });
    try {
      for await (const frames of sock) {
        let msg;
        try {
          msg = decode(signer, frames);
        } catch (e) {
          if (e instanceof WireError) {
            post({ type: "log", line: `rejected a message on stdin: ${e.message}` });
            continue;
          }
          throw e;
        }
        if (msg.header.msg_type !== "input_reply") {
          post({ type: "log", line: `ignored ${msg.header.msg_type} on stdin` });
          continue;
        }
        const parentId = (msg.parent_header as Partial<MessageHeader>).msg_id;
        const pending = st.pending;
        if (!pending || (parentId && parentId !== pending.msgId)) {
          post({ type: "log", line: "ignored an input_reply nobody is waiting for" });
          continue;
        }
        const { id } = pending;
        st.pending = null;
        answer(id, parseInputReply(msg.content).value);
      }
    } catch (e) {
      post({ type: "log", line: `stdin socket stopped: ${String(e)}` });
    }
  })();
}

// Imported by stdin.ts for its types and layout: run only as the worker.
if (!isMainThread) main();
