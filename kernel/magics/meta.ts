/** `%lsmagic`: list the magics (help for each is `%name?`). */
import type { Magic } from "./registry";

export const lsmagic: Magic = {
  kind: "line",
  name: "lsmagic",
  usage: "%lsmagic",
  help: "List the available line (%) and cell (%%) magics. `%name?` shows a magic's help.",
  async run(args, ctx) {
    const r = ctx.registry;
    const text =
      "Available line magics:\n" +
      r
        .lineNames()
        .map((n) => `%${n}`)
        .join("  ") +
      "\n\nAvailable cell magics:\n" +
      r
        .cellNames()
        .map((n) => `%%${n}`)
        .join("  ") +
      "\n\nAutomagic is OFF, % prefix IS needed for line magics. Use %name? for help.\n";
    ctx.io.stdout(text);
  },
};
