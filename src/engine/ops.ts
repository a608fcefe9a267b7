// Every tensor operation of the engine, in one namespace (`import * as ops`).

export * from "./ops-charfn.ts";
export * from "./ops-elementwise.ts";
export * from "./ops-gather.ts";
export * from "./ops-conv.ts";
export * from "./ops-nn.ts";
export * from "./ops-select.ts";
export * from "./ops-shape-reduce.ts";
