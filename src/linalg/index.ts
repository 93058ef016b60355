// Public API of src/linalg: float64 dense linear algebra, exported from the
// package root as the namespace `linalg` (its short names would clash).
export * from "./dense";
