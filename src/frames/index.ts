// Public API of src/frames: re-export each module here.
export { historyToRecords, type EpochRecord, type HistoryLike, type HistoryColumns } from "./records";
