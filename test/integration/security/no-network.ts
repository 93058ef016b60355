/**
 * Preload (`node --require dist/test/integration/security/no-network.js script.js`)
 * that makes every network entry point throw, to prove that a script uses
 * no network at run time: net/tls connect, http/https request and get,
 * dns lookups and resolvers (callback and promise APIs), http2 connect,
 * global fetch and WebSocket. Each attempt is also written to stderr as
 * "NETWORK ACCESS: <what>" so a caller sees it even if the script swallows
 * the error. Local IPC (pipes, Unix sockets) is not network and is allowed.
 */
import type * as netT from "net";

class NetworkBlockedError extends Error {
  constructor(what: string) {
    super(`network access attempted: ${what} (blocked by test/integration/security/no-network)`);
    this.name = "NetworkBlockedError";
  }
}

function block(what: string): never {
  process.stderr.write(`NETWORK ACCESS: ${what}\n`);
  throw new NetworkBlockedError(what);
}

// Patching module objects needs writable `any`-like access to their functions.
type Mutable = Record<string, unknown>;

function patch(mod: Mutable, names: string[], label: string): void {
  for (const n of names) {
    if (typeof mod[n] !== "function") continue;
    mod[n] = (..._args: unknown[]) => block(`${label}.${n}`);
  }
}

const net = require("net") as typeof netT & Mutable;
// A path argument (string, or an options object with `path`) is a local socket, not network.
const isLocal = (a: unknown): boolean => typeof a === "string" || (typeof a === "object" && a !== null && "path" in a);
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: netT.Socket, ...args: unknown[]) {
  if (isLocal(args[0])) return (realConnect as (...a: unknown[]) => netT.Socket).apply(this, args);
  return block("net.Socket.connect");
} as typeof realConnect;
for (const n of ["connect", "createConnection"]) {
  const real = net[n] as (...a: unknown[]) => unknown;
  net[n] = (...args: unknown[]) => (isLocal(args[0]) ? real(...args) : block(`net.${n}`));
}

patch(require("tls") as Mutable, ["connect"], "tls");
patch(require("http") as Mutable, ["request", "get"], "http");
patch(require("https") as Mutable, ["request", "get"], "https");
patch(require("http2") as Mutable, ["connect"], "http2");
const dnsNames = [
  "lookup", "lookupService", "resolve", "resolve4", "resolve6", "resolveAny", "resolveCname", "resolveMx", "resolveNs", "resolveTxt",
  "resolveSrv", "resolvePtr", "resolveNaptr", "resolveSoa", "reverse"
];
const dns = require("dns") as Mutable;
patch(dns, dnsNames, "dns");
patch(dns.promises as Mutable, dnsNames, "dns.promises");
patch((dns.Resolver as { prototype: Mutable }).prototype, dnsNames, "dns.Resolver");
const g = globalThis as unknown as Mutable;
if (typeof g.fetch === "function") g.fetch = () => block("fetch");
if (typeof g.WebSocket === "function") g.WebSocket = function WebSocket() {
  block("WebSocket");
};
process.env.REGLAB_NO_NETWORK_PRELOAD = "1";
