// Worker helpers that hold no app state: embedding frames under flat parameters (one compiled
// graph per model shape and frame count, kept for reuse), and yielding to queued messages.
import {
  type Backend,
  type Compiled,
  compile,
  type HostTensor,
  type ParamLayout,
  type Tensor,
  type Tree,
  unpackSymbolic,
} from "../../src/engine/index.ts";
import { encode, type WorldModelConfig, type WorldModelParams } from "../../src/world/index.ts";

/** What embedding needs from a model: its config, parameter template, layout and flat values. */
export interface EmbeddableModel {
  config: WorldModelConfig;
  params: Tree<HostTensor>;
  layout: ParamLayout;
  flat: Float32Array;
}

/** Embeds frames [n, C, H, W] in [0, 1]; graphs are compiled once per model shape and n. */
export function frameEmbedder(backend: () => Backend) {
  const graphs = new Map<string, Compiled>();
  return async (m: EmbeddableModel, frames: Float32Array, n: number): Promise<Float32Array> => {
    const { config, layout } = m;
    const [c, h, w] = config.observation;
    const key = `${JSON.stringify(config)}|${n}`;
    let graph = graphs.get(key);
    if (!graph) {
      const template = m.params;
      graph = await compile(
        (i) =>
          encode(
            unpackSymbolic(i.params, layout, template) as unknown as WorldModelParams<Tensor>,
            i.obs,
            config,
          ),
        { params: { shape: [layout.total] }, obs: { shape: [n, c, h, w] } },
        backend(),
      );
      graphs.set(key, graph);
    }
    // Wrapped as they are: no copy of the inputs.
    const out = await graph.run({
      params: { shape: [layout.total], dtype: "float32", data: m.flat },
      obs: { shape: [n, c, h, w], dtype: "float32", data: frames },
    });
    return Float32Array.from(out.output.data as Float32Array);
  };
}

/**
 * Lets queued messages (a stop request) in between steps. A MessageChannel task, not
 * setTimeout(0): timers nested this deep are clamped to 4 ms each.
 */
export function messageYielder(): () => Promise<void> {
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () =>
    new Promise<void>((r) => {
      waiting.push(r);
      channel.port2.postMessage(null);
    });
}
