#!/usr/bin/env node
// Thin launcher: the command line lives in kernel/cli.ts (compiled to dist/).
"use strict";
const path = require("path");
const fs = require("fs");
const cli = path.join(__dirname, "..", "dist", "kernel", "cli.js");
if (!fs.existsSync(cli)) {
  console.error("reglab: not built yet. Run `npm install` (or `npm run build`) in " + path.join(__dirname, ".."));
  process.exit(1);
}
require(cli).main(process.argv.slice(2));
