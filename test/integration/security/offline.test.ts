/**
 * The library makes no network access at run time: a representative
 * notebook (test/integration/security/offline-notebook.ts: seed, wasm backend, data
 * generators and the shipped digits, training with L2 and dropout, a danfo
 * DataFrame table, a chart bundle with PNG) runs in a child process where every network entry point
 * throws (test/integration/security/no-network.ts, loaded with --require). The preload
 * itself is checked first: it must actually block.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import path from "path";
import {  } from "../../support/paths";

const PRELOAD = path.join(__dirname, "no-network.js");
const SCRIPT = path.join(__dirname, "offline-notebook.js");

function runNode(args: string[], timeout = 120_000) {
  // No proxy or registry settings leak in; REGLAB_HEADLESS makes displays print text.
  const env = { ...process.env, REGLAB_HEADLESS: "1" };
  return spawnSync(process.execPath, ["--require", PRELOAD, ...args], { encoding: "utf8", timeout, env });
}

describe("no network access at run time", () => {
  test("the preload blocks net, http, https, dns, tls and fetch", { timeout: 30_000 }, () => {
    const probe = `
      const tries = {
        net: () => require("net").connect(80, "127.0.0.1"),
        http: () => require("http").get("http://127.0.0.1/"),
        https: () => require("https").request("https://example.org/"),
        tls: () => require("tls").connect(443, "example.org"),
        dns: () => require("dns").lookup("example.org", () => {}),
        dnsPromises: () => require("dns").promises.resolve4("example.org"),
        fetch: () => fetch("http://127.0.0.1/"),
      };
      const blocked = Object.entries(tries).filter(([, f]) => { try { f(); return false; } ` +
      `catch (e) { return e.name === "NetworkBlockedError"; } }).map(([k]) => k);
      console.log(JSON.stringify(blocked));`;
    const r = runNode(["-e", probe]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), ["net", "http", "https", "tls", "dns", "dnsPromises", "fetch"]);
  });

  test("a notebook-like script (data, wasm training, chart PNG) runs with the network blocked", { timeout: 150_000 }, () => {
    const r = runNode([SCRIPT]);
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ""}\n${r.stderr.slice(-3000)}`);
    assert.doesNotMatch(r.stderr, /NETWORK ACCESS/, r.stderr);
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, r.stdout.slice(-2000));
    const res = JSON.parse(line.slice("RESULT ".length)) as Record<string, unknown>;
    assert.equal(res.backend, "wasm");
    assert.deepEqual(res.digits, [1797, 64]);
    assert.deepEqual(res.moons, [200, 2]);
    assert.equal(res.epochs, 3);
    assert.equal(res.frameRows, 3);
    assert.equal(res.pngSignature, "89504e470d0a1a0a", "a real PNG");
    assert.ok(Number(res.pngBytes) > 1000);
    assert.deepEqual(res.vegalite, ["application/vnd.vegalite.v5+json"]);
  });
});
