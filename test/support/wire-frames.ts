/** Messages framed and signed as a given client would send them, for tests that tamper with the frames. */
import type { KernelClient } from "../../kernel/protocol/client";
import { Signer, encode, newHeader } from "../../kernel/protocol/wire";

export function frameAs(
  kc: KernelClient,
  msgType: string,
  content: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): { msgId: string; frames: Buffer[] } {
  const header = newHeader(msgType, kc.session);
  const signer = new Signer(kc.connection.key, kc.connection.signature_scheme);
  return { msgId: header.msg_id, frames: encode(signer, { header, parent_header: {}, metadata, content }) };
}
