// Public face of src/engine (see DESIGN.md).
export {};
