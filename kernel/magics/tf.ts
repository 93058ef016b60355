/**
 * TensorFlow.js magics: `%seed`, `%backend`, `%tfmem`, `%%tfleak`.
 * tfjs and the library are required lazily so plain cells never load them
 * through this layer.
 */
import type * as TF from "@tensorflow/tfjs";
import { MagicError } from "./errors";
import { UsageError, parseMagicOptions, splitArgs } from "../options";
import { bareLineMagic } from "./forms";
import type { Magic } from "./registry";
import { formatBytes, plural } from "./format";

function tf(): typeof TF {
  return require("@tensorflow/tfjs") as typeof TF;
}
function seedModule(): typeof import("../../src/random/seed") {
  return require("../../src/random/seed") as typeof import("../../src/random/seed");
}
function backendModule(): typeof import("../../src/backend") {
  return require("../../src/backend") as typeof import("../../src/backend");
}

const SEED_USAGE = "%seed [n]";
const BACKEND_USAGE = "%backend [auto|tensorflow|wasm|cpu]";
const TFLEAK_USAGE = "%%tfleak [--fail]\n<cell body>";

const BACKEND_HELP =
  "Without an argument, show the tfjs backend in use and the available ones. With a name, switch to it " +
  "(auto picks tensorflow, then wasm, then cpu).";

export const tfMagics: Magic[] = [
  {
    kind: "line",
    name: "seed",
    usage: SEED_USAGE,
    help:
      "Without an argument, print the global seed. With an integer n, call seed(n): Math.random (and so tfjs's initializers, dropout " +
      'and shuffling) becomes a seeded PRNG. REGLAB_SEED_VARIANT=v (reglab run --seed v) turns every seed n into the variant "n/v".',
    async run(args, ctx) {
      const words = splitArgs(args);
      const s = seedModule();
      const variant = s.seedVariant();
      const note = variant === null ? "" : ` (seed variant ${variant} from ${s.SEED_VARIANT_ENV})`;
      if (words.length === 0) {
        const cur = s.getSeed();
        ctx.io.stdout(cur === null ? "Seed: not set (Math.random is not seeded)\n" : `Seed: ${cur}${note}\n`);
        return;
      }
      const n = Number(words[0]);
      if (words.length > 1 || !Number.isInteger(n))
        throw new UsageError(`the seed must be an integer, got "${args}".\nUsage: ${SEED_USAGE}`);
      s.seed(n);
      ctx.io.stdout(`Seed set to ${n}${note}\n`);
    },
  },
  {
    kind: "line",
    name: "backend",
    usage: BACKEND_USAGE,
    help: BACKEND_HELP,
    async run(args, ctx) {
      const words = splitArgs(args);
      const b = backendModule();
      if (words.length === 0) {
        await tf().ready();
        ctx.io.stdout(`Current backend: ${b.currentBackend()}\nAvailable: ${b.availableBackends().join(", ")}\n`);
        return;
      }
      const allowed = ["auto", "tensorflow", "wasm", "cpu"];
      if (words.length > 1 || !allowed.includes(words[0])) {
        throw new UsageError(`unknown backend "${args}". Choose one of: ${allowed.join(", ")}.\nUsage: ${BACKEND_USAGE}`);
      }
      const choice = await b.useBackend(words[0] as "auto", { quiet: true });
      ctx.io.stdout(`Backend: ${choice.backend} (${choice.reason})\n`);
    },
  },
  bareLineMagic("tfmem", "Show tfjs memory: live tensors, their bytes, and the backend.", async (ctx) => {
    const t = tf();
    await t.ready();
    const m = t.memory();
    ctx.io.stdout(`Tensors: ${m.numTensors}\nBytes: ${formatBytes(m.numBytes)}\nBackend: ${t.getBackend()}\n`);
  }),
  {
    kind: "cell",
    name: "tfleak",
    usage: TFLEAK_USAGE,
    help:
      "Run the cell and report how many tensors and bytes it leaked (tf.memory() before and after; a returned tensor " +
      "counts). With --fail, a leak is an error (TensorLeakError).",
    bodyIsCode: true,
    async run(args, body, ctx) {
      const opts = parseMagicOptions(splitArgs(args), { flags: ["--fail"] }, TFLEAK_USAGE);
      if (opts.positional.length) throw new UsageError(`unexpected argument "${opts.positional[0]}".\nUsage: ${TFLEAK_USAGE}`);
      const t = tf();
      await t.ready();
      const before = t.memory();
      const out = await ctx.run(body);
      const after = t.memory();
      const tensors = after.numTensors - before.numTensors;
      const bytes = after.numBytes - before.numBytes;
      const msg =
        tensors === 0 && bytes === 0 ? "tfleak: no tensors leaked" : `tfleak: ${plural(tensors, "tensor")} (${formatBytes(bytes)}) leaked`;
      if (out.status === "error") return out;
      if (opts.flags.has("--fail") && (tensors > 0 || bytes > 0))
        throw new MagicError("TensorLeakError", `the cell leaked ${plural(tensors, "tensor")} (${formatBytes(bytes)})`);
      ctx.io.stdout(msg + "\n");
      return out;
    },
  },
];
