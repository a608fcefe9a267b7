// SGD with momentum as torch.optim.SGD: buf = mu buf + g (+ wd p); p = p - lr (nesterov ? g + mu buf : buf).
import { type GraphOptimizer, ops, type Tensor } from "../engine/index.ts";
import { clipByGlobalNorm, globalNorm } from "./clip.ts";
import { asSchedule, type Schedule } from "./schedule.ts";

export interface SgdOptions {
  lr: number | Schedule;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  clipNorm?: number;
}

export function sgd(opts: SgdOptions): GraphOptimizer {
  const { momentum = 0, nesterov = false, weightDecay = 0, clipNorm } = opts;
  const lr = asSchedule(opts.lr);
  return {
    slots: momentum > 0 ? ["momentum"] : [],
    update({ params, grads, state, step }): ReturnType<GraphOptimizer["update"]> {
      let g = grads;
      let norm: Tensor;
      if (clipNorm !== undefined) ({ grads: g, norm } = clipByGlobalNorm(grads, clipNorm));
      else norm = globalNorm(grads);
      if (weightDecay > 0) g = ops.add(g, ops.mul(params, weightDecay));
      const rate = lr(step);
      if (momentum === 0)
        return { params: ops.sub(params, ops.mul(g, rate)), state: {}, terms: { grad_norm: norm } };
      // torch starts the buffer at g on the first step; a zero buffer gives mu*0 + g, the same.
      const buf = ops.add(ops.mul(state.momentum, momentum), g);
      const direction = nesterov ? ops.add(g, ops.mul(buf, momentum)) : buf;
      return {
        params: ops.sub(params, ops.mul(direction, rate)),
        state: { momentum: buf },
        terms: { grad_norm: norm },
      };
    },
  };
}
