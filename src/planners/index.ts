// Public face of src/planners (see DESIGN.md).
export {};
