/**
 * A representative notebook as a plain script, for the no-network test
 * (security-offline.test.ts runs it under no-network.ts): seed, the wasm
 * backend, data generators including the shipped digits, an MLP with an L2
 * penalty and dropout trained by `train`, the history as a danfo DataFrame
 * shown as a table (this loads danfojs-node, with its request and xlsx
 * dependencies), and a chart bundle with its PNG.
 * Prints one JSON line starting with "RESULT " and exits 0 on success.
 */
import {
  seed, useBackend, tf, twoMoons, loadDigits, trainTestSplit, mlp, train, l2, learningCurves, publish, historyToFrame, table
} from "../../../src";

async function main(): Promise<void> {
  seed(7);
  const backend = await useBackend("wasm", { quiet: true });
  const moons = twoMoons({ n: 200, noise: 0.2 });
  const digits = loadDigits({ scale: true, oneHot: true });
  const { train: tr, test: te } = trainTestSplit({ x: digits.x, y: digits.y }, { testFraction: 0.25 });
  const model = mlp({ inputs: 64, hidden: [32], outputs: 10, outputActivation: "softmax", dropout: 0.1 });
  const history = await train(model, tr, {
    epochs: 3,
    batchSize: 64,
    optimizer: "adam",
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
    penalty: l2(1e-4),
    validationData: te,
    progress: false,
  });
  const frame = historyToFrame(history);
  publish({ data: { "text/plain": String(table(frame)) }, metadata: {} }, false);
  const chart = learningCurves(history, { title: "offline" });
  const bundle = chart.bundle();
  publish(bundle, false);
  const png = Buffer.from(String(bundle.data["image/png"]), "base64");
  const result = {
    backend: backend.backend,
    moons: moons.x.shape,
    digits: digits.x.shape,
    epochs: history.epoch.length,
    frameRows: frame.shape[0],
    pngBytes: png.length,
    pngSignature: png.subarray(0, 8).toString("hex"),
    vegalite: Object.keys(bundle.data).filter((k) => k.includes("vegalite")),
  };
  tf.dispose([moons.x, moons.y, digits.x, digits.y, tr.x, tr.y, te.x, te.y]);
  model.dispose();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`FAILED ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
