// A linear probe from embeddings to the agent's true position, refitted whenever the model
// changes. Display only: it places predicted latents on the map; the planner never sees it.
import { fitLinear } from "../../src/eval/index.ts";

export interface LinearProbe {
  /** Position [x, y] in pixels of one embedding [D]. */
  apply(z: ArrayLike<number>): number[];
  /** R^2 of the fit on its own frames. */
  r2: number;
}

/** Least squares of positions [n, 2] on embeddings [n, d]. */
export function fitProbe(z: Float32Array, positions: Float32Array, n: number, d: number): LinearProbe {
  const fit = fitLinear(z, positions, n, d, 2);
  return {
    r2: fit.r2,
    apply(v) {
      const out = [fit.bias[0], fit.bias[1]];
      for (let k = 0; k < 2; k++) for (let j = 0; j < d; j++) out[k] += fit.weights[k * d + j] * v[j];
      return out;
    },
  };
}
