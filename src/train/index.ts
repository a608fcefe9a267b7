// Public face of src/train (see DESIGN.md).
export {};
