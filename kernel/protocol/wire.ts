/**
 * The Jupyter wire protocol (messaging spec 5.3): framing, HMAC signing and
 * verification. Shared by the kernel's server and the runner's client, so
 * both sides agree byte for byte.
 *
 * Frames: [identities..., "<IDS|MSG>", signature, header, parent_header,
 * metadata, content, buffers...]; signature = hex HMAC over the four JSON
 * frames with the connection file's key and scheme.
 */
import { createHmac, randomUUID, timingSafeEqual } from "crypto";

export const PROTOCOL_VERSION = "5.3";
const DELIM = Buffer.from("<IDS|MSG>");

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

/**
 * A decoded message. `parent_header` is `{}` when there is no parent. `content` is untyped
 * JSON here; kernel/protocol/messages.ts parses each request's content into its type.
 */
export interface Message {
  identities: Buffer[];
  header: MessageHeader;
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** Thrown for frames that are not a valid, correctly signed message. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

export class Signer {
  private readonly algorithm: string | null;

  /** `scheme` as in the connection file, e.g. "hmac-sha256"; empty key = no signing. */
  constructor(
    private readonly key: string,
    scheme = "hmac-sha256",
  ) {
    if (!key) {
      this.algorithm = null;
    } else {
      if (!scheme.startsWith("hmac-")) throw new WireError(`unsupported signature scheme: ${scheme}`);
      this.algorithm = scheme.slice("hmac-".length);
    }
  }

  sign(frames: Buffer[]): string {
    if (!this.algorithm) return "";
    const h = createHmac(this.algorithm, this.key);
    for (const f of frames) h.update(f);
    return h.digest("hex");
  }

  verify(signature: string, frames: Buffer[]): boolean {
    if (!this.algorithm) return true;
    const want = Buffer.from(this.sign(frames));
    const got = Buffer.from(signature);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}

export function newHeader(msgType: string, session: string, username = "reglab"): MessageHeader {
  return {
    msg_id: randomUUID(),
    msg_type: msgType,
    session,
    username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
}

/** Encode a message to frames, signed. */
export function encode(signer: Signer, msg: Omit<Message, "buffers" | "identities"> & Partial<Message>): Buffer[] {
  const body = [
    Buffer.from(JSON.stringify(msg.header)),
    Buffer.from(JSON.stringify(msg.parent_header ?? {})),
    Buffer.from(JSON.stringify(msg.metadata ?? {})),
    Buffer.from(JSON.stringify(msg.content ?? {})),
  ];
  return [...(msg.identities ?? []), DELIM, Buffer.from(signer.sign(body)), ...body, ...(msg.buffers ?? [])];
}

/** Decode and verify frames. Throws WireError on bad framing, JSON or signature. */
export function decode(signer: Signer, frames: Buffer[]): Message {
  const at = frames.findIndex((f) => f.equals(DELIM));
  if (at < 0) throw new WireError("message has no <IDS|MSG> delimiter");
  if (frames.length < at + 6) throw new WireError(`message has ${frames.length - at - 1} frames after the delimiter; 5 needed`);
  const signature = frames[at + 1].toString();
  const body = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, body)) throw new WireError("invalid HMAC signature");
  const parse = (b: Buffer, what: string): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(b.toString("utf8"));
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      return v as Record<string, unknown>;
    } catch (e) {
      throw new WireError(`bad ${what} frame: ${(e as Error).message}`);
    }
  };
  const header = parse(body[0], "header") as unknown as MessageHeader;
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("header lacks msg_type or msg_id");
  }
  return {
    identities: frames.slice(0, at),
    header,
    parent_header: parse(body[1], "parent_header") as Message["parent_header"],
    metadata: parse(body[2], "metadata"),
    content: parse(body[3], "content"),
    buffers: frames.slice(at + 6),
  };
}

/**
 * Decode each message that arrives on `sock` until it closes. Frames that do
 * not decode (bad signature, missing frames, bad JSON) go to `rejected` and
 * are skipped: one bad sender must not stop the channel. Any other error (the
 * socket closing under the loop among them) is the caller's to judge.
 */
export async function receiveMessages(
  sock: AsyncIterable<Buffer[]>,
  signer: Signer,
  deliver: (msg: Message, frames: Buffer[]) => void,
  rejected: (e: WireError) => void,
): Promise<void> {
  for await (const frames of sock) {
    let msg: Message;
    try {
      msg = decode(signer, frames);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      rejected(e);
      continue;
    }
    deliver(msg, frames);
  }
}

/** The connection file Jupyter writes for a kernel. */
export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}
