// Learning-rate and momentum schedules as graph code: a function of the 1-based step tensor.
import { ops, type Tensor } from "../engine/index.ts";

/** A value that depends on the step, built inside the training graph. */
export type Schedule = (step: Tensor) => Tensor;

/** A constant (a number is accepted wherever a Schedule is). */
export const constantSchedule =
  (value: number): Schedule =>
  (step) =>
    ops.add(ops.mul(step, 0), value);

export const asSchedule = (v: number | Schedule): Schedule =>
  typeof v === "number" ? constantSchedule(v) : v;

export interface WarmupCosineOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Value reached at totalSteps (and kept after). */
  final?: number;
}

/** Linear warmup from 0 to `peak` over `warmupSteps`, then cosine decay to `final` at `totalSteps`. */
export function warmupCosine(opts: WarmupCosineOptions): Schedule {
  const { peak, warmupSteps, totalSteps, final = 0 } = opts;
  if (totalSteps <= warmupSteps)
    throw new Error(`warmupCosine: totalSteps ${totalSteps} must exceed warmupSteps ${warmupSteps}`);
  return (step) => {
    const warm = ops.mul(step, peak / Math.max(warmupSteps, 1));
    const progress = ops.minimum(ops.div(ops.sub(step, warmupSteps), totalSteps - warmupSteps), 1);
    const cosine = ops.add(
      ops.mul(ops.add(ops.cos(ops.mul(progress, Math.PI)), 1), 0.5 * (peak - final)),
      final,
    );
    return ops.where(ops.lessEqual(step, warmupSteps), warm, cosine);
  };
}

/** Linear interpolation from `from` (step 0) to `to` (at `steps`), constant after: I-JEPA's EMA momentum. */
export function linearSchedule(from: number, to: number, steps: number): Schedule {
  return (step) => ops.add(ops.mul(ops.minimum(ops.div(step, steps), 1), to - from), from);
}
