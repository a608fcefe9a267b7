// AdamW (Loshchilov & Hutter 2019) as graph code over flat buffers, as torch.optim.AdamW:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p = p - lr wd p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
import { type GraphOptimizer, ops, type Tensor } from "../engine/index.ts";
import { clipByGlobalNorm, globalNorm } from "./clip.ts";
import { type DecayFilter, decayMask, decayMatrices } from "./decay-mask.ts";
import { asSchedule, type Schedule } from "./schedule.ts";

export interface AdamWOptions {
  lr: number | Schedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay; 0 gives plain Adam. */
  weightDecay?: number;
  /** Which parameters decay (default: rank >= 2). Pass `() => true` to decay all, as torch does. */
  decayFilter?: DecayFilter;
  /** Clip the global gradient norm to this value before the update. */
  clipNorm?: number;
}

export function adamw(opts: AdamWOptions): GraphOptimizer {
  const {
    beta1 = 0.9,
    beta2 = 0.999,
    eps = 1e-8,
    weightDecay = 0.01,
    decayFilter = decayMatrices,
    clipNorm,
  } = opts;
  const lr = asSchedule(opts.lr);
  return {
    slots: ["m", "v"],
    update({ params, grads, state, step, layout }) {
      let g = grads;
      let norm: Tensor;
      if (clipNorm !== undefined) ({ grads: g, norm } = clipByGlobalNorm(grads, clipNorm));
      else norm = globalNorm(grads);
      const rate = lr(step);
      const m = ops.add(ops.mul(state.m, beta1), ops.mul(g, 1 - beta1));
      const v = ops.add(ops.mul(state.v, beta2), ops.mul(ops.mul(g, g), 1 - beta2));
      const c1 = ops.sub(1, ops.pow(ops.add(ops.mul(step, 0), beta1), step)); // 1 - b1^t
      const c2 = ops.sub(1, ops.pow(ops.add(ops.mul(step, 0), beta2), step));
      const stepSize = ops.div(rate, c1);
      const denom = ops.add(ops.div(ops.sqrt(v), ops.sqrt(c2)), eps);
      let p = ops.sub(params, ops.mul(ops.div(m, denom), stepSize));
      if (weightDecay > 0) {
        const mask = decayMask(layout, decayFilter);
        p = ops.sub(p, ops.mul(ops.mul(params, mask), ops.mul(rate, weightDecay)));
      }
      return { params: p, state: { m, v }, terms: { grad_norm: norm, lr: rate } };
    },
  };
}
