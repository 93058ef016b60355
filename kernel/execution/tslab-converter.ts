/**
 * tslab's converter module, loaded with its one-slot timer replaced by a
 * TimerSlot (timer-slot.ts says why). tslab is pinned (1.0.22): the three
 * places the patch touches are matched exactly, and if any is missing (another
 * tslab) the original module is used and the kernel says so on its stderr.
 *
 * The patched module is compiled under tslab's own file name and put in
 * `require.cache` before anything requires it, so tslab's executor and
 * jupyter modules get the same instance.
 */
import fs from "fs";
import Module from "module";
import path from "path";
import { kernelLog } from "./streams";

type ConverterModule = typeof import("tslab/dist/converter");

const ORIGINAL_SLOT = new RegExp(
  String.raw`    let rebuildTimer = null;\n    sys\.setTimeout = \(callback\) => \{[\s\S]*?\n` +
    String.raw`    sys\.clearTimeout = \(timeoutId\) => \{[\s\S]*?\n    \};\n`,
);
const SLOT = `    const rebuildSlot = require(${JSON.stringify(require.resolve("./timer-slot"))}).createTimerSlot();
    sys.setTimeout = rebuildSlot.setTimeout;
    sys.clearTimeout = rebuildSlot.clearTimeout;
`;
const PENDING_CHECK = /if \(!rebuildTimer\) \{/g;
const FIRE = /rebuildTimer\.callback\(\);/g;

/** The converter's source with the timer slot replaced, or null when it is not the source this patch knows. */
export function patchConverterSource(source: string): string | null {
  if (!ORIGINAL_SLOT.test(source)) return null;
  const patched = source
    .replace(ORIGINAL_SLOT, SLOT)
    .replace(PENDING_CHECK, "if (!rebuildSlot.pending()) {")
    .replace(FIRE, "rebuildSlot.fire();")
    .replace(/rebuildTimer is not set properly/g, "no rebuild timer is pending");
  return /rebuildTimer/.test(patched) ? null : patched;
}

let loaded: ConverterModule | null = null;

/** `tslab/dist/converter`, patched (once per process). */
export function loadConverter(): ConverterModule {
  if (loaded) return loaded;
  const file = require.resolve("tslab/dist/converter");
  const patched = require.cache[file] ? null : patchConverterSource(fs.readFileSync(file, "utf8"));
  if (patched === null) {
    if (!require.cache[file]) {
      kernelLog("tslab's converter is not the version reglab patches (1.0.22): file changes between cells may fail a cell");
    }
    loaded = require(file) as ConverterModule;
    return loaded;
  }
  const mod = new Module(file, module);
  mod.filename = file;
  // Module._nodeModulePaths is not in the typings; it gives the lookup folders a real require would use.
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  (mod as unknown as { _compile(code: string, filename: string): void })._compile(patched, file);
  mod.loaded = true;
  require.cache[file] = mod;
  loaded = mod.exports as ConverterModule;
  return loaded;
}
