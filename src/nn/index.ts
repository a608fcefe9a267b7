// Public face of src/nn (see DESIGN.md).
export {};
