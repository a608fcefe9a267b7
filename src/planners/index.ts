// Public face of src/planners: planners over a cost `actions [N, H, A] -> [N]`, the MPC
// wrapper, and compiled world-model costs (DESIGN.md, "planners").
export { type CemOptions, cem, eliteStats, iterationNoise } from "./cem.ts";
export { coloredNoise } from "./colored-noise.ts";
export { CostBatcher } from "./cost-batcher.ts";
export { compileFusedCem, type FusedCem, type FusedCemOptions } from "./fused-cem.ts";
export { type GradientPlanOptions, gradientPlan } from "./gradient.ts";
export { type IcemOptions, icem } from "./icem.ts";
export { type MpcOptions, type MpcResult, mpc, type StepOutcome, shiftPlan } from "./mpc.ts";
export { type MppiOptions, mppi } from "./mppi.ts";
export {
  type ActionBounds,
  type BoundPlanner,
  type CostFn,
  clampActions,
  fillPlan,
  fixedPopulation,
  type GradCostFn,
  type IterationSamples,
  type IterationStats,
  type PlanResult,
} from "./plan-result.ts";
export {
  compileGroupedCost,
  compileRolloutCost,
  compileRolloutGradCost,
  type CostAccumulation,
  type GroupedCost,
  type LatentDistance,
  type LatentStep,
  type RolloutCost,
  type RolloutCostOptions,
  type RolloutGradCost,
  rolloutCostGraph,
} from "./rollout-cost.ts";
