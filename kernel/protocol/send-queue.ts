/**
 * Serialised sends on one ZeroMQ socket: zeromq v6 allows one send in flight per socket (a
 * second concurrent `send` throws EBUSY), and messages must leave in the order they were made.
 * Shared by the kernel's sockets (server.ts) and the client's (client.ts).
 */
export interface Sendable {
  send(frames: Buffer[]): Promise<void>;
}

export class SendQueue {
  private tail: Promise<void> = Promise.resolve();

  /** `onError`: called with a failed send's error, which then resolves (the server logs and goes on); without it, it rejects. */
  constructor(
    private readonly sock: Sendable,
    private readonly onError?: (e: unknown) => void,
  ) {}

  /** Resolves once ZeroMQ has the frames; a failed send does not stop the ones queued after it. */
  send(frames: Buffer[]): Promise<void> {
    const next = this.tail.then(() => this.sock.send(frames));
    this.tail = next.catch(() => undefined);
    const onError = this.onError;
    return onError ? next.catch((e: unknown) => onError(e)) : next;
  }

  /** Resolves once every send queued so far has been handed to ZeroMQ or has failed. */
  drain(): Promise<void> {
    return this.tail;
  }
}
