// 2-D convolution, its weight gradient and the transposed convolution, each with a reference
// kernel and an ONNX lowering (Conv, ConvTranspose; the weight gradient as patch matrices and a
// batched MatMul, conv-lowering.ts, or a dilated Conv with setConvLowering("native")).
import { apply1 } from "./apply.ts";
import {
  convGeometry,
  convLowering,
  convThroughPatches,
  lowerConvPatches,
  lowerWeightGradPatches,
} from "./conv-lowering.ts";
import { ShapeError, type Tensor } from "./ir.ts";
import { ndarray } from "./kernels.ts";
import { mul } from "./ops-elementwise.ts";
import { broadcastTo, reshape, sum } from "./ops-shape-reduce.ts";
import { defineOp } from "./registry.ts";
import { fmt } from "./shape.ts";

// ---------- conv2d ----------
export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}
const pair = (v: number | [number, number]): [number, number] => (typeof v === "number" ? [v, v] : v);
const convOut = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;

/** Visits every (output, input, weight) index triple of a 2-D convolution. */
function convLoop(
  xShape: number[],
  wShape: number[],
  oShape: number[],
  stride: number[],
  pads: number[],
  visit: (oi: number, xi: number, wi: number) => void,
): void {
  const [N, C, H, W] = xShape;
  const [O, , KH, KW] = wShape;
  const [, , HO, WO] = oShape;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < HO; i++)
        for (let j = 0; j < WO; j++) {
          const oi = ((n * O + o) * HO + i) * WO + j;
          for (let c = 0; c < C; c++)
            for (let a = 0; a < KH; a++) {
              const y = i * stride[0] - pads[0] + a;
              if (y < 0 || y >= H) continue;
              for (let b = 0; b < KW; b++) {
                const xx = j * stride[1] - pads[1] + b;
                if (xx < 0 || xx >= W) continue;
                visit(oi, ((n * C + c) * H + y) * W + xx, ((o * C + c) * KH + a) * KW + b);
              }
            }
        }
}

defineOp({
  name: "conv2d",
  infer([x, w, bias], a) {
    const [sh, sw] = a.stride as number[];
    const [ph, pw] = a.padding as number[];
    if (x.shape.length !== 4 || w.shape.length !== 4) {
      throw new ShapeError(
        `conv2d: input ${fmt(x.shape)} must be [N, C, H, W] and weight ${fmt(w.shape)} [O, C, KH, KW] with the same C`,
      );
    }
    if (x.shape[1] !== w.shape[1]) {
      throw new ShapeError(
        `conv2d: input ${fmt(x.shape)} has ${x.shape[1]} channels but weight ${fmt(w.shape)} [O, C, KH, KW] expects ${w.shape[1]}; make the weight's C ${x.shape[1]}`,
      );
    }
    const ho = convOut(x.shape[2], w.shape[2], sh, ph);
    const wo = convOut(x.shape[3], w.shape[3], sw, pw);
    if (ho < 1 || wo < 1)
      throw new ShapeError(`conv2d: kernel ${fmt(w.shape)} does not fit input ${fmt(x.shape)}; pad more`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== w.shape[0])) {
      throw new ShapeError(`conv2d: bias ${fmt(bias.shape)} must be [${w.shape[0]}], one per output channel`);
    }
    return [{ shape: [x.shape[0], w.shape[0], ho, wo], dtype: x.dtype }];
  },
  grad(node, [g], needs) {
    if (!g) return [null, null];
    const [x, w] = node.inputs;
    const stride = node.attrs.stride as [number, number];
    const padding = node.attrs.padding as [number, number];
    const outPad = [0, 1].map(
      (d) => x.shape[2 + d] - ((g.shape[2 + d] - 1) * stride[d] - 2 * padding[d] + w.shape[2 + d]),
    );
    return [
      needs[0] ? convTranspose2d(g, w, { stride, padding, outputPadding: outPad as [number, number] }) : null,
      needs[1] ? apply1("conv2dWeightGrad", [x, g], { kernel: w.shape.slice(2), stride, padding }) : null,
      node.inputs.length > 2 && needs[2] ? sum(g, [0, 2, 3]) : null,
    ];
  },
  lower(l, node, inputs, outputs) {
    const [ph, pw] = node.attrs.padding as number[];
    if (convThroughPatches(node)) {
      const geo = convGeometry(
        node.inputs[0].shape,
        node.outputs[0].shape,
        node.inputs[1].shape.slice(2),
        node.attrs.stride as number[],
        node.attrs.padding as number[],
      );
      lowerConvPatches(l, geo, inputs, outputs[0]);
      return;
    }
    l.node("Conv", inputs, outputs, {
      strides: { ints: node.attrs.stride as number[] },
      pads: { ints: [ph, pw, ph, pw] },
      kernel_shape: { ints: node.inputs[1].shape.slice(2) },
    });
  },
  evaluate([x, w, bias], node) {
    const out = ndarray([...node.outputs[0].shape], x.dtype);
    convLoop(
      x.shape,
      w.shape,
      out.shape,
      node.attrs.stride as number[],
      node.attrs.padding as number[],
      (o, i, k) => {
        out.data[o] += x.data[i] * w.data[k];
      },
    );
    if (bias) {
      const [, o, h, wd] = out.shape;
      for (let i = 0; i < out.data.length; i++) out.data[i] += bias.data[Math.floor(i / (h * wd)) % o];
    }
    return [out];
  },
});
/** 2-D convolution: x [N, C, H, W], w [O, C, KH, KW] (+ bias [O]) -> [N, O, HO, WO]. */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions & { bias?: Tensor } = {}): Tensor {
  const { stride = 1, padding = 0, bias } = opts;
  return apply1("conv2d", bias ? [x, w, bias] : [x, w], { stride: pair(stride), padding: pair(padding) });
}

defineOp({
  name: "conv2dWeightGrad",
  infer([x, g], a) {
    const k = a.kernel as number[];
    return [{ shape: [g.shape[1], x.shape[1], k[0], k[1]], dtype: x.dtype }];
  },
  lower(l, node, [x, g], [dw]) {
    if (convLowering() !== "native") {
      const geo = convGeometry(
        node.inputs[0].shape,
        node.inputs[1].shape,
        node.attrs.kernel as number[],
        node.attrs.stride as number[],
        node.attrs.padding as number[],
      );
      lowerWeightGradPatches(l, geo, x, g, dw);
      return;
    }
    // dW[o, c] = sum_n x[n, c] (*) g[n, o]: a convolution over the batch axis, dilated by the stride.
    const [ph, pw] = node.attrs.padding as number[];
    const [kh, kw] = node.attrs.kernel as number[];
    const xt = l.fresh("xt");
    const gt = l.fresh("gt");
    const full = l.fresh("dwfull");
    l.node("Transpose", [x], [xt], { perm: { ints: [1, 0, 2, 3] } });
    l.node("Transpose", [g], [gt], { perm: { ints: [1, 0, 2, 3] } });
    l.node("Conv", [xt, gt], [full], {
      pads: { ints: [ph, pw, ph, pw] },
      dilations: { ints: node.attrs.stride as number[] },
      kernel_shape: { ints: node.inputs[1].shape.slice(2) },
    });
    const xs = node.inputs[0].shape;
    const gs = node.inputs[1].shape;
    const [sh, sw] = node.attrs.stride as number[];
    const fullH = xs[2] + 2 * ph - (gs[2] - 1) * sh;
    const fullW = xs[3] + 2 * pw - (gs[3] - 1) * sw;
    let src = full;
    if (fullH !== kh || fullW !== kw) {
      src = l.fresh("dwcrop");
      l.node("Slice", [full, l.int64s([0, 0]), l.int64s([kh, kw]), l.int64s([2, 3])], [src]);
    }
    l.node("Transpose", [src], [dw], { perm: { ints: [1, 0, 2, 3] } });
  },
  evaluate([x, g], node) {
    const out = ndarray([...node.outputs[0].shape], x.dtype);
    convLoop(
      x.shape,
      out.shape,
      g.shape,
      node.attrs.stride as number[],
      node.attrs.padding as number[],
      (o, i, k) => {
        out.data[k] += x.data[i] * g.data[o];
      },
    );
    return [out];
  },
});

// ---------- transposed convolution ----------
export interface ConvTranspose2dOptions extends Conv2dOptions {
  outputPadding?: number | [number, number];
}
defineOp({
  name: "convTranspose2d",
  infer([g, w], a) {
    const [sh, sw] = a.stride as number[];
    const [ph, pw] = a.padding as number[];
    const [oh, ow] = a.outputPadding as number[];
    if (g.shape.length !== 4 || w.shape.length !== 4 || g.shape[1] !== w.shape[0]) {
      throw new ShapeError(
        `convTranspose2d: input ${fmt(g.shape)} must be [N, O, H, W] and weight ${fmt(w.shape)} [O, C, KH, KW] with the same O`,
      );
    }
    const h = (g.shape[2] - 1) * sh - 2 * ph + w.shape[2] + oh;
    const wd = (g.shape[3] - 1) * sw - 2 * pw + w.shape[3] + ow;
    return [{ shape: [g.shape[0], w.shape[1], h, wd], dtype: g.dtype }];
  },
  grad(node, [dy], needs) {
    if (!dy) return [null, null];
    const [g, w] = node.inputs;
    const stride = node.attrs.stride as [number, number];
    const padding = node.attrs.padding as [number, number];
    return [
      needs[0] ? conv2d(dy, w, { stride, padding }) : null,
      needs[1] ? apply1("conv2dWeightGrad", [dy, g], { kernel: w.shape.slice(2), stride, padding }) : null,
    ];
  },
  lower(l, node, inputs, outputs) {
    const [ph, pw] = node.attrs.padding as number[];
    l.node("ConvTranspose", inputs, outputs, {
      strides: { ints: node.attrs.stride as number[] },
      pads: { ints: [ph, pw, ph, pw] },
      output_padding: { ints: node.attrs.outputPadding as number[] },
      kernel_shape: { ints: node.inputs[1].shape.slice(2) },
    });
  },
  evaluate([g, w], node) {
    const out = ndarray([...node.outputs[0].shape], g.dtype);
    convLoop(
      out.shape,
      w.shape,
      g.shape,
      node.attrs.stride as number[],
      node.attrs.padding as number[],
      (o, i, k) => {
        out.data[i] += g.data[o] * w.data[k];
      },
    );
    return [out];
  },
});
/** The adjoint of conv2d (a learned upsampling): g [N, O, H, W], w [O, C, KH, KW] -> [N, C, H', W']. */
export function convTranspose2d(g: Tensor, w: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  const { stride = 1, padding = 0, outputPadding = 0 } = opts;
  return apply1("convTranspose2d", [g, w], {
    stride: pair(stride),
    padding: pair(padding),
    outputPadding: pair(outputPadding),
  });
}

// ---------- average pooling ----------
// Non-overlapping k x k average pooling. As reshape + mean over two strided axes it was one of
// the slowest nodes of the two-rooms encoder's training step (ONNX Runtime reduces strided axes
// element by element); AveragePool is one pass.
defineOp({
  name: "avgPool2d",
  infer([x], a) {
    const k = a.kernel as number;
    if (x.shape.length !== 4) throw new ShapeError(`avgPool2d: input ${fmt(x.shape)} must be [N, C, H, W]`);
    if (x.shape[2] % k !== 0 || x.shape[3] % k !== 0)
      throw new ShapeError(
        `avgPool2d: kernel ${k} does not divide input ${fmt(x.shape)}'s ${x.shape[2]}x${x.shape[3]}; use a divisor of both`,
      );
    return [{ shape: [x.shape[0], x.shape[1], x.shape[2] / k, x.shape[3] / k], dtype: x.dtype }];
  },
  grad(node, [g], needs) {
    if (!g || !needs[0]) return [null];
    // Every input pixel receives its window's gradient over k^2.
    const k = node.attrs.kernel as number;
    const [n, c, h, w] = g.shape;
    const spread = broadcastTo(reshape(g, [n, c, h, 1, w, 1]), [n, c, h, k, w, k]);
    return [mul(reshape(spread, [n, c, h * k, w * k]), 1 / (k * k))];
  },
  lower(l, node, inputs, outputs) {
    const k = node.attrs.kernel as number;
    l.node("AveragePool", inputs, outputs, { kernel_shape: { ints: [k, k] }, strides: { ints: [k, k] } });
  },
  evaluate([x], node) {
    const k = node.attrs.kernel as number;
    const out = ndarray([...node.outputs[0].shape], x.dtype);
    const [, , H, W] = x.shape;
    const [, , HO, WO] = out.shape;
    for (let p = 0; p < out.data.length; p++) {
      const j = p % WO;
      const i = Math.floor(p / WO) % HO;
      const plane = Math.floor(p / (HO * WO));
      let s = 0;
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) s += x.data[(plane * H + i * k + a) * W + j * k + b];
      out.data[p] = s / (k * k);
    }
    return [out];
  },
});
/** Non-overlapping k x k average pooling: x [N, C, H, W] -> [N, C, H/k, W/k] (k divides H and W). */
export function avgPool2d(x: Tensor, k: number): Tensor {
  if (!Number.isInteger(k) || k < 1)
    throw new ShapeError(`avgPool2d: kernel ${k} must be a positive integer`);
  return k === 1 ? x : apply1("avgPool2d", [x], { kernel: k });
}
