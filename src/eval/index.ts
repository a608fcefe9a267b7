// Public face of src/eval (browser-safe): the protocols of PROTOCOLS.md as typed reports.
export { compileLatentWorld, type LatentPlannerOptions, type LatentWorld } from "./latent-planner.ts";
export { evaluateP1, P1_DEFAULTS, type P1Episode, type P1Report, type P1Settings } from "./p1-two-rooms.ts";
export { meanOf, wilsonInterval } from "./stats.ts";
export { linePlot, pca2, type Series, scatterPlot } from "./svg-plot.ts";
