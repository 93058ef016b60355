/**
 * `table(rows)`: records (or a DataFrame) as a value that displays itself as
 * an HTML table, so a cell can end with `table(rows)` and show it as Out[n]
 * (or pass it to `display`). Numbers use `formatCell`'s 4 significant digits.
 */
import { JUPYTER_DISPLAY } from "../display/transport";
import { frameBundle, tableText, type TableInput, type TableOptions } from "./table";

export interface TableView {
  readonly input: TableInput;
  readonly options: TableOptions;
  toString(): string;
  [JUPYTER_DISPLAY](): { "text/html": string; "text/plain": string };
}

export function table(input: TableInput, options: TableOptions = {}): TableView {
  if (!input || typeof input !== "object")
    throw new TypeError(`table: expected an array of records or a DataFrame, got ${input === null ? "null" : typeof input}`);
  return {
    input,
    options,
    toString: () => tableText(input, options),
    [JUPYTER_DISPLAY]: () => frameBundle(input, options),
  };
}
