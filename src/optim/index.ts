// Public face of src/optim: optimizers, schedules, clipping and EMA, all as graph code.
export { type AdamWOptions, adamw } from "./adamw.ts";
export { clipByGlobalNorm, globalNorm } from "./clip.ts";
export { type DecayFilter, decayMask, decayMatrices } from "./decay-mask.ts";
export {
  asSchedule,
  constantSchedule,
  linearSchedule,
  type Schedule,
  type WarmupCosineOptions,
  warmupCosine,
} from "./schedule.ts";
export { type SgdOptions, sgd } from "./sgd.ts";
