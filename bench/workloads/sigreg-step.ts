// W5 sigreg_step: SIGReg (17 knots on [0, 3], 256 fresh unit slices) on z [2, 256, 128], forward + backward.
import { compile, foldIn, grad, hostTensor, keyFromSeed, normal } from "../../src/engine/index.ts";
import { nodeBackend } from "../../src/engine/node.ts";
import { sampleSlices, sigreg } from "../../src/objectives/index.ts";
import type { Workload } from "../timing.ts";

export function sigregStep(recurrence: boolean): Workload {
  return {
    name: recurrence ? "sigreg_step_recurrence" : "sigreg_step",
    async setup() {
      const z = hostTensor([2, 256, 128], normal(keyFromSeed(1), 2 * 256 * 128));
      const step = await compile(
        (i) => {
          const loss = sigreg(i.z, i.slices, { recurrence });
          return { loss, dz: grad(loss, [i.z])[0] };
        },
        { z: { shape: [2, 256, 128] }, slices: { shape: [128, 256] } },
        nodeBackend(),
      );
      const root = keyFromSeed(2);
      let n = 0;
      let slices = sampleSlices(foldIn(root, n++), 128, 256);
      return {
        run: async () => {
          // Draw the next step's slices on the host while ONNX Runtime runs this one.
          const pending = step.run({ z, slices });
          slices = sampleSlices(foldIn(root, n++), 128, 256);
          return Number((await pending).loss.data[0]);
        },
        release: () => step.release(),
      };
    },
  };
}
