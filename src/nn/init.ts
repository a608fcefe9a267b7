// Initialisers shared by the layers: every draw comes from an explicit random key, so the
// same key gives the same parameters on every machine.
import { type HostTensor, hostTensor, type Key, normal, sizeOf, split, uniform } from "../engine/index.ts";

/** How a weight matrix is drawn. "torch" matches PyTorch's nn.Linear / nn.Conv2d defaults. */
export type WeightInit = "torch" | "trunc-normal" | "xavier-uniform" | "zeros";

/** A float32 tensor of zeros. */
export function zeros(shape: number[]): HostTensor {
  return hostTensor(shape, new Float32Array(sizeOf(shape)));
}

/** A float32 tensor of ones. */
export function ones(shape: number[]): HostTensor {
  return hostTensor(shape, new Float32Array(sizeOf(shape)).fill(1));
}

/** Uniform draws in [low, high). */
export function uniformTensor(key: Key, shape: number[], low: number, high: number): HostTensor {
  const u = uniform(key, sizeOf(shape));
  return hostTensor(
    shape,
    u.map((v) => low + (high - low) * v),
  );
}

/** Normal draws with mean 0 and standard deviation `std`. */
export function normalTensor(key: Key, shape: number[], std: number): HostTensor {
  return hostTensor(
    shape,
    normal(key, sizeOf(shape)).map((v) => v * std),
  );
}

/**
 * Normal draws with standard deviation `std`, redrawn until they fall within `bound`
 * standard deviations of 0 (the ViT / JAX convention of truncating at 2 std).
 */
export function truncNormal(key: Key, shape: number[], std: number, bound = 2): HostTensor {
  const n = sizeOf(shape);
  const out = new Float32Array(n);
  let filled = 0;
  // Each round draws from a fresh subkey: the result depends only on `key`.
  for (let round = 0; filled < n; round++) {
    const sub = split(key, round + 1)[round];
    for (const v of normal(sub, n - filled)) if (Math.abs(v) <= bound) out[filled++] = v * std;
  }
  return hostTensor(shape, out);
}

/** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): PyTorch's default for nn.Linear and nn.Conv2d weights and biases. */
export function torchUniform(key: Key, shape: number[], fanIn: number): HostTensor {
  const bound = 1 / Math.sqrt(fanIn);
  return uniformTensor(key, shape, -bound, bound);
}

/** Glorot / Xavier uniform: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform(key: Key, shape: number[], fanIn: number, fanOut: number): HostTensor {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return uniformTensor(key, shape, -a, a);
}

/** Kaiming / He normal for ReLU layers: N(0, 2 / fanIn). */
export function kaimingNormal(key: Key, shape: number[], fanIn: number): HostTensor {
  return normalTensor(key, shape, Math.sqrt(2 / fanIn));
}

/**
 * A weight and its bias under one scheme: "torch" draws both from U(+-1/sqrt(fanIn)); the
 * others give a zero bias ("trunc-normal" uses std 0.02, as in ViT and I-JEPA).
 */
export function initWeightBias(
  key: Key,
  wShape: number[],
  bShape: number[],
  fanIn: number,
  fanOut: number,
  scheme: WeightInit,
): { w: HostTensor; b: HostTensor } {
  const [kw, kb] = split(key);
  switch (scheme) {
    case "torch":
      return { w: torchUniform(kw, wShape, fanIn), b: torchUniform(kb, bShape, fanIn) };
    case "trunc-normal":
      return { w: truncNormal(kw, wShape, 0.02), b: zeros(bShape) };
    case "xavier-uniform":
      return { w: xavierUniform(kw, wShape, fanIn, fanOut), b: zeros(bShape) };
    case "zeros":
      return { w: zeros(wShape), b: zeros(bShape) };
  }
}
