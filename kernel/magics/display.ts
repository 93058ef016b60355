/**
 * Cell magics that show their body as one MIME type: `%%html`, `%%markdown`
 * (`%%md`), `%%latex`, `%%svg`, each with a text/plain fallback; and
 * `%%capture [name]`, which keeps a cell's outputs instead of showing them.
 */
import type { DisplayContent } from "../../src/display/transport";
import { CapturedOutput } from "../../src/display/capture";
import type { CellIO } from "../execution/types";
import { UsageError, splitArgs } from "../options";
import { noArguments } from "./forms";
import type { CellMagic, Magic } from "./registry";

function mimeMagic(name: string, mime: string, what: string, textOf: (body: string) => string): CellMagic {
  return {
    kind: "cell",
    name,
    usage: `%%${name}\n<${what}>`,
    help: `Show the cell body as ${what} (${mime}).`,
    async run(args, body, ctx) {
      noArguments(`%%${name}`, args);
      ctx.io.display({ data: { [mime]: body, "text/plain": textOf(body) }, metadata: {} }, false);
    },
  };
}

const CAPTURE_USAGE = "%%capture [name]\n<cell body>";

export const displayMagics: Magic[] = [
  mimeMagic("html", "text/html", "HTML", () => "<HTML object>"),
  mimeMagic("markdown", "text/markdown", "Markdown", (b) => b),
  mimeMagic("md", "text/markdown", "Markdown", (b) => b),
  mimeMagic("latex", "text/latex", "LaTeX", (b) => b),
  mimeMagic("svg", "image/svg+xml", "SVG", () => "<SVG object>"),
  {
    kind: "cell",
    name: "capture",
    usage: CAPTURE_USAGE,
    help:
      "Run the cell and capture its stdout, stderr and displays instead of showing them. With a name, the capture is " +
      "kept in that notebook variable: name.stdout, name.stderr, name.outputs (in order), name.displays, and " +
      "name.show() replays them. The cell's own value is not shown.",
    bodyIsCode: true,
    async run(args, body, ctx) {
      const words = splitArgs(args);
      if (words.length > 1 || (words[0] ?? "").startsWith("-"))
        throw new UsageError(`%%capture takes one optional variable name.\nUsage: ${CAPTURE_USAGE}`);
      const cap = new CapturedOutput();
      const io: CellIO = {
        stdout: (text) => cap.add({ type: "stream", name: "stdout", text }),
        stderr: (text) => cap.add({ type: "stream", name: "stderr", text }),
        display: (content: DisplayContent, update) => cap.add({ type: "display", content, update }),
      };
      const out = await ctx.run(body, io);
      if (words[0]) await ctx.bind(words[0], cap);
      if (out.status === "error") return out;
    },
  },
];
