import { freePorts } from "../../kernel/protocol/kernel-process";

/** A free TCP port on 127.0.0.1 (the OS picks it); the kernel client's own port picker. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}
