// Public API of src/frames: re-export each module here.
export { historyToRecords, type EpochRecord, type HistoryLike, type HistoryColumns } from "./records";
export { historyToFrame, frameToRecords, loadDanfo } from "./history-frame";
export { tableHtml, tableText, frameBundle, formatCell, type TableInput, type TableOptions, type FrameShape } from "./table";
export { table, type TableView } from "./table-view";
// Registers the frame and history renderers with src/display.
export { MAX_HISTORY_ROWS, thinnedRows } from "./display";
