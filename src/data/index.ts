// Public face of src/data (see DESIGN.md).
export {};
