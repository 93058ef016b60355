/**
 * Chart rendering benchmark: median wall time of compile + PNG (the full
 * display bundle) over several warm runs.
 *
 *   node dist/bench/charts.js [--quick]
 *
 * Targets (from issue 4): 500-point learning curve ≤ 100 ms; 60×60
 * decision boundary with 400 points ≤ 300 ms. The 5,000-point scatter has
 * no target (reported for reference).
 */
import { learningCurves, decisionBoundary, chart, type Chart } from "../src/charts";

export interface BenchRow {
  name: string;
  ms: number;
  target?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Deterministic pseudo-random numbers (no Math.random: it may be seeded by the notebook). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function timeIt(make: () => Chart, runs: number): number {
  make().bundle(); // warm-up: font parsing, module loading, JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const b = make().bundle();
    if (!b.data["image/png"]) throw new Error("benchmark chart produced no PNG");
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function benchCharts(opts: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const runs = opts.quick ? 3 : 9;
  const r = lcg(7);
  const epochs = 250; // 2 curves × 250 = 500 points
  const history = {
    loss: Array.from({ length: epochs }, (_, i) => 2 * Math.exp(-i / 40) + 0.1 + 0.02 * r()),
    val_loss: Array.from({ length: epochs }, (_, i) => 2 * Math.exp(-i / 50) + 0.3 + 0.02 * r() + 0.0005 * Math.max(0, i - 120)),
  };
  const scatter = Array.from({ length: 5000 }, () => ({ x: r() * 10, y: r() * 10, c: r() < 0.5 ? "a" : "b" }));
  const points = Array.from({ length: 400 }, () => [r() * 4 - 2, r() * 4 - 2]);
  const labels = points.map(([x, y]) => (x * x + y * y < 1.5 ? 1 : 0));
  const predict = (g: number[][]) => g.map(([x, y]) => 1 / (1 + Math.exp(3 * (x * x + y * y - 1.5))));

  return [
    { name: "learning curve, 500 points", ms: timeIt(() => learningCurves(history, { points: false }), runs), target: 100 },
    {
      name: "scatter, 5,000 points",
      ms: timeIt(
        () =>
          chart({
            data: { values: scatter },
            mark: { type: "point", filled: true, size: 12 },
            encoding: {
              x: { field: "x", type: "quantitative" },
              y: { field: "y", type: "quantitative" },
              color: { field: "c", type: "nominal" },
            },
          }),
        runs,
      ),
    },
    {
      name: "decision boundary 60×60 + 400 points",
      ms: timeIt(() => decisionBoundary({ points, labels, predict, resolution: 60 }), runs),
      target: 300,
    },
  ];
}

if (require.main === module) {
  benchCharts({ quick: process.argv.includes("--quick") }).then((rows) => {
    const w = Math.max(...rows.map((x) => x.name.length));
    console.log(`${"benchmark".padEnd(w)}  median ms  target  ok`);
    for (const x of rows) {
      const ok = x.target === undefined ? "" : x.ms <= x.target ? "yes" : "NO";
      console.log(
        `${x.name.padEnd(w)}  ${x.ms.toFixed(1).padStart(9)}  ${(x.target === undefined ? "-" : String(x.target)).padStart(6)}  ${ok}`,
      );
    }
  });
}
