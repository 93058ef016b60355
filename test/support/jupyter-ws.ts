/**
 * A kernel on a Jupyter server (Notebook 6 / jupyter_server), reached the way
 * a browser reaches it: REST `POST /api/kernels`, then one websocket on
 * `/api/kernels/<id>/channels` carrying JSON messages tagged with a channel.
 *
 * `execute(code)` resolves with the cell's outputs (nbformat-shaped) once the
 * reply and the idle status for that request have both arrived. A kernel that
 * dies mid-cell is seen as a `restarting` or `dead` status on iopub (the
 * server's restarter publishes it); pending cells then reject with
 * `KernelDiedError` and `deaths` counts it, so a test can check who saw it.
 */
import { randomUUID } from "crypto";
import WebSocket from "ws";

export interface CellOutput {
  output_type: "stream" | "execute_result" | "display_data" | "error";
  name?: string;
  text?: string;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

export interface CellResult {
  status: "ok" | "error" | "abort";
  outputs: CellOutput[];
}

export class KernelDiedError extends Error {
  constructor(readonly state: string) {
    super(`kernel ${state} while a cell was running`);
    this.name = "KernelDiedError";
  }
}

interface WireMessage {
  channel?: string;
  header: { msg_id: string; msg_type: string };
  parent_header: { msg_id?: string };
  content: Record<string, unknown>;
}

interface Pending {
  outputs: CellOutput[];
  reply: CellResult["status"] | null;
  idle: boolean;
  resolve(r: CellResult): void;
  reject(e: Error): void;
}

/** `Authorization` header for a Jupyter / JupyterHub token. */
export const authHeader = (token: string) => ({ Authorization: `token ${token}` });

/** Start a kernel of `kernelName` on the server at `serverUrl` (ending in `/`); returns its id. */
export async function createKernel(serverUrl: string, token: string, kernelName: string): Promise<string> {
  const r = await fetch(`${serverUrl}api/kernels`, {
    method: "POST",
    headers: { ...authHeader(token), "Content-Type": "application/json" },
    body: JSON.stringify({ name: kernelName }),
  });
  if (r.status !== 201) throw new Error(`POST ${serverUrl}api/kernels: HTTP ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: string }).id;
}

export class WsKernel {
  /** iopub states seen that mean the kernel process went away (`restarting`, `dead`). */
  readonly deaths: string[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly session = randomUUID();
  private closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (raw) => this.onMessage(raw.toString()));
    ws.on("close", () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error("websocket closed while a cell was running"));
      this.pending.clear();
    });
  }

  /**
   * The server answers the websocket upgrade only once the kernel has answered a kernel_info
   * request, and waits for that up to its `kernel_info_timeout` (60 s in Notebook 6 and
   * jupyter_server) before opening anyway. The default waits longer than that, so a kernel
   * still starting on a loaded machine (a class starting at once) is not given up on sooner
   * than Jupyter itself would.
   */
  static async connect(serverUrl: string, token: string, kernelId: string, timeoutMs = 90_000): Promise<WsKernel> {
    const url = `${serverUrl.replace(/^http/, "ws")}api/kernels/${kernelId}/channels?session_id=${randomUUID()}`;
    const ws = new WebSocket(url, { headers: authHeader(token) });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`websocket ${url}: no connection in ${timeoutMs} ms`)), timeoutMs);
      ws.once("open", () => (clearTimeout(timer), resolve()));
      ws.once("error", (e) => (clearTimeout(timer), reject(e)));
      ws.once("unexpected-response", (_req, res) => (clearTimeout(timer), reject(new Error(`websocket ${url}: HTTP ${res.statusCode}`))));
    });
    return new WsKernel(ws);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  execute(code: string, timeoutMs = 120_000): Promise<CellResult> {
    if (this.closed) return Promise.reject(new Error("websocket is closed"));
    const msgId = randomUUID();
    const msg = {
      channel: "shell",
      header: {
        msg_id: msgId,
        username: "classroom",
        session: this.session,
        msg_type: "execute_request",
        version: "5.3",
        date: new Date().toISOString(),
      },
      parent_header: {},
      metadata: {},
      content: { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
      buffers: [],
    };
    return new Promise<CellResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new Error(`no reply in ${timeoutMs} ms to: ${code.slice(0, 80)}`));
      }, timeoutMs);
      this.pending.set(msgId, {
        outputs: [],
        reply: null,
        idle: false,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify(msg));
    });
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as WireMessage;
    const type = m.header.msg_type;
    if (type === "status") {
      const state = String(m.content.execution_state);
      if (state === "restarting" || state === "dead") {
        this.deaths.push(state);
        for (const p of this.pending.values()) p.reject(new KernelDiedError(state));
        this.pending.clear();
        return;
      }
    }
    const p = m.parent_header.msg_id ? this.pending.get(m.parent_header.msg_id) : undefined;
    if (!p) return;
    const c = m.content;
    if (type === "stream") {
      const last = p.outputs[p.outputs.length - 1];
      if (last?.output_type === "stream" && last.name === c.name) last.text += String(c.text);
      else p.outputs.push({ output_type: "stream", name: String(c.name), text: String(c.text) });
    } else if (type === "execute_result" || type === "display_data") {
      p.outputs.push({ output_type: type, data: c.data as Record<string, unknown> });
    } else if (type === "error") {
      p.outputs.push({ output_type: "error", ename: String(c.ename), evalue: String(c.evalue) });
    } else if (type === "execute_reply") {
      p.reply = c.status as CellResult["status"];
    } else if (type === "status" && c.execution_state === "idle") {
      p.idle = true;
    }
    if (p.reply !== null && p.idle) {
      this.pending.delete(m.parent_header.msg_id as string);
      p.resolve({ status: p.reply, outputs: p.outputs });
    }
  }
}
