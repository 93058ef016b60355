/** The default registry: every built-in magic. */
import { MagicRegistry } from "./registry";
import { lsmagic } from "./meta";
import { timeMagics } from "./time";
import { timeitMagics } from "./timeit";
import { tfMagics } from "./tf";
import { namespaceMagics } from "./namespace";
import { fileMagics } from "./files";
import { shellMagics } from "./shell";
import { displayMagics } from "./display";
import { vegaliteMagic } from "./vegalite";
import { sweepMagic } from "./sweep";
import { configMagic } from "./config";

export function defaultMagics(): MagicRegistry {
  return new MagicRegistry().add(
    lsmagic,
    ...timeMagics,
    ...timeitMagics,
    ...tfMagics,
    ...namespaceMagics,
    ...fileMagics,
    ...shellMagics,
    ...displayMagics,
    vegaliteMagic,
    sweepMagic,
    configMagic,
  );
}
