/**
 * The dropout-mask loop alone, on plain Float32Arrays: the serial reference
 * (fillMaskSerial, one alea draw and one branchy multiplier per element)
 * against fillMask (laned draws, then a branch-free pass), in ns per
 * element, both styles, a fresh seed every call as in training (the same
 * seed every call would let the branch predictor learn the mask).
 *
 * Each figure is the best of `rounds` rounds of `calls` calls: the machine
 * is shared, and the minimum is the least disturbed run.
 *
 * Run: node dist/bench/mask-lanes.js [--rounds=15] [--calls=20]
 */
import { fillMask, fillMaskSerial, type MaskStyle } from "../src/kernels/dropout-mask";

type Fill = (out: Float32Array, keep: number, style: MaskStyle, seedValue: number) => void;

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : Number(arg.slice(name.length + 3));
}

function nsPerElement(fill: Fill, n: number, style: MaskStyle, rounds: number, calls: number): number {
  const out = new Float32Array(n);
  for (let r = 0; r < 20; r++) fill(out, 0.5, style, Math.random());
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < calls; r++) fill(out, 0.5, style, Math.random());
    best = Math.min(best, Number(process.hrtime.bigint() - start) / calls / n);
  }
  return best;
}

function main(): void {
  const rounds = option("rounds", 15);
  const calls = option("calls", 20);
  console.log("n        style   serial ns  laned ns  speed-up");
  for (const n of [1024, 4096, 16384, 65536]) {
    for (const style of ["tfjs", "reglab"] as const) {
      const serial = nsPerElement(fillMaskSerial, n, style, rounds, calls);
      const laned = nsPerElement(fillMask, n, style, rounds, calls);
      const cells = [String(n).padEnd(8), style.padEnd(7), serial.toFixed(2).padStart(9), laned.toFixed(2).padStart(9)];
      console.log(`${cells.join(" ")}  ${(serial / laned).toFixed(1).padStart(7)}x`);
    }
  }
}

main();
