// Public API of src/display: rich display of values (display(x), MIME bundles).
export {};
