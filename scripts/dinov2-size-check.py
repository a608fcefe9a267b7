#!/usr/bin/env python3
"""DINOv2 ViT-S/14 at full size, for the ONNX import size check (bench/dinov2-size-check.ts,
test/interop-dinov2.test.ts). No network: the architecture is built here, with RANDOM weights
drawn from a fixed seed (not Meta's trained weights), and exported by torch.onnx.export.

  /usr/bin/python3 scripts/dinov2-size-check.py --out DIR [--variants op13-b4,op17-dyn,...]
  /usr/bin/python3 scripts/dinov2-size-check.py --out DIR --bench   # PyTorch's timings too

The model follows facebookresearch/dinov2's vit_small(patch_size=14) at 224x224: a 14x14
stride-14 conv patch embedding (16x16 = 256 patches), a CLS token, learned position
embeddings for 257 tokens, 12 pre-norm blocks (dim 384, 6 heads, MLP 1536, exact GELU, LayerNorm
eps 1e-6, LayerScale on both branches), a final LayerNorm; the output is the normalised CLS
token [B, 384] ("x_norm_clstoken"), and the variants named "-patch" also return the normalised
patch tokens [B, 256, 384]. 21.63M parameters (the hub model has 22.06M: its position
embeddings cover 37x37 patches at 518 px, plus an unused mask token), 87 MB of float32.

Writes into DIR:
  <variant>.onnx                 one per variant: op13|op17 x fixed batch 4 (b4) or dynamic
                                 batch (dyn); "-ext" keeps the weights in an external file
                                 (<variant>.onnx.data), as exports over 2 GB must
  frames.bin, expected-cls.bin   4 input frames [4, 3, 224, 224] and PyTorch's CLS [4, 384],
  expected-patch.bin             and patch tokens [4, 256, 384] (float32, little-endian)
  dinov2-vits14.pt               the state dict (PyTorch's load time is measured on it)
  manifest.json                  shapes, files, export times, versions, and with --bench
                                 PyTorch's load time, peak RSS and frames/s at batch 1 and 16
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DIM, DEPTH, HEADS, MLP, PATCH, SIZE = 384, 12, 6, 1536, 14, 224
ALL_VARIANTS = ["op13-b4", "op13-dyn", "op17-b4", "op17-dyn", "op17-dyn-ext", "op17-b4-patch"]


class LayerScale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM, eps=1e-6)
        self.attn = Attention(DIM, HEADS)
        self.ls1 = LayerScale(DIM)
        self.norm2 = nn.LayerNorm(DIM, eps=1e-6)
        self.mlp = Mlp(DIM, MLP)
        self.ls2 = LayerScale(DIM)

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, DIM, PATCH, stride=PATCH)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # [B, 256, 384]


class DinoV2ViTS14(nn.Module):
    def __init__(self, patch_tokens=False):
        super().__init__()
        self.patch_tokens = patch_tokens
        self.patch_embed = PatchEmbed()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos_embed = nn.Parameter(torch.zeros(1, (SIZE // PATCH) ** 2 + 1, DIM))
        self.blocks = nn.ModuleList([Block() for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(DIM, eps=1e-6)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        if self.patch_tokens:
            return x[:, 0], x[:, 1:]
        return x[:, 0]


def build(seed=0):
    """Random weights from a fixed seed, at trained-like scales (LayerScale ~0.1-1, not 1e-5,
    so every block changes the output and errors accumulate as in a trained model)."""
    torch.manual_seed(seed)
    m = DinoV2ViTS14()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("gamma"):
                p.uniform_(0.05, 1.0)
            elif "norm" in name and name.endswith("weight"):
                p.normal_(1.0, 0.2)
            elif name.endswith("bias"):
                p.normal_(0.0, 0.02)
            elif name in ("cls_token", "pos_embed"):
                p.normal_(0.0, 0.5)
            else:
                nn.init.trunc_normal_(p, std=0.02 if p.dim() == 2 else 0.05)
    return m.eval()


def frames(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    # ImageNet-normalised images: (u - mean) / std with u in [0, 1].
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (torch.rand(n, 3, SIZE, SIZE, generator=g) - mean) / std


def export(model, variant, out):
    opset = int(variant[2:4])
    dynamic = "-dyn" in variant
    patch = variant.endswith("-patch")
    path = os.path.join(out, f"{variant}.onnx")
    model.patch_tokens = patch
    outputs = ["cls", "patch"] if patch else ["cls"]
    kwargs = {}
    if dynamic:
        kwargs["dynamic_axes"] = {"frames": {0: "batch"}, **{o: {0: "batch"} for o in outputs}}
    t0 = time.perf_counter()
    torch.onnx.export(
        model,
        (frames(4),),
        path,
        input_names=["frames"],
        output_names=outputs,
        opset_version=opset,
        **kwargs,
    )
    if variant.endswith("-ext"):
        import onnx

        proto = onnx.load(path)
        os.remove(path)
        onnx.save_model(
            proto,
            path,
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=f"{variant}.onnx.data",
            size_threshold=1024,
        )
    model.patch_tokens = False
    return {
        "variant": variant,
        "file": f"{variant}.onnx",
        "opset": opset,
        "dynamicBatch": dynamic,
        "externalData": variant.endswith("-ext"),
        "outputs": outputs,
        "bytes": os.path.getsize(path),
        "exportSeconds": round(time.perf_counter() - t0, 2),
    }


def stats(xs):
    s = sorted(xs)
    return {"median": statistics.median(s), "min": s[0], "max": s[-1], "n": len(s), "samples": xs}


def bench_child(out, rounds, threads):
    """Runs in a fresh process: load time, peak RSS and frames/s of PyTorch eager on the CPU."""
    torch.set_num_threads(threads or os.cpu_count() or 1)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    m = DinoV2ViTS14()
    m.load_state_dict(torch.load(os.path.join(out, "dinov2-vits14.pt")))
    m.eval()
    load_s = time.perf_counter() - t0
    result = {"loadSeconds": load_s, "threads": torch.get_num_threads()}
    with torch.inference_mode():
        for batch in (1, 16):
            x = frames(batch, seed=2)
            m(x)  # warm-up
            per_frame = []
            for _ in range(rounds if batch == 16 else rounds * 4):
                t = time.perf_counter()
                m(x)
                per_frame.append((time.perf_counter() - t) / batch)
            s = stats(per_frame)
            result[f"batch{batch}"] = {
                "msPerFrame": {
                    "median": s["median"] * 1e3,
                    "min": s["min"] * 1e3,
                    "max": s["max"] * 1e3,
                    "samples": [v * 1e3 for v in s["samples"]],
                },
                "framesPerSecond": 1 / s["median"],
            }
    result["peakRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["interpreterRssMB"] = rss0 / 1024
    print(json.dumps(result))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", default=",".join(ALL_VARIANTS))
    ap.add_argument("--bench", action="store_true", help="also time PyTorch (fresh process)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="PyTorch threads when timing (0: all cores)")
    ap.add_argument("--bench-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.bench_child:
        return bench_child(a.out, a.rounds, a.threads)
    os.makedirs(a.out, exist_ok=True)
    variants = [v for v in a.variants.split(",") if v]
    for v in variants:
        if v not in ALL_VARIANTS:
            sys.exit(f"unknown variant {v}; choose from {', '.join(ALL_VARIANTS)}")
    torch.set_num_threads(os.cpu_count() or 1)
    model = build()
    params = sum(p.numel() for p in model.parameters())
    torch.save(model.state_dict(), os.path.join(a.out, "dinov2-vits14.pt"))
    x = frames(4)
    with torch.no_grad():
        model.patch_tokens = True
        cls, patch = model(x)
        model.patch_tokens = False
    x.numpy().astype("<f4").tofile(os.path.join(a.out, "frames.bin"))
    cls.numpy().astype("<f4").tofile(os.path.join(a.out, "expected-cls.bin"))
    patch.numpy().astype("<f4").tofile(os.path.join(a.out, "expected-patch.bin"))
    cases = [export(model, v, a.out) for v in variants]
    manifest = {
        "model": "DINOv2 ViT-S/14 architecture, 224x224, RANDOM weights (seed 0), not Meta's trained weights",
        "parameters": params,
        "frames": {"file": "frames.bin", "shape": list(x.shape)},
        "expected": {
            "cls": {"file": "expected-cls.bin", "shape": list(cls.shape)},
            "patch": {"file": "expected-patch.bin", "shape": list(patch.shape)},
        },
        "variants": cases,
        "provenance": {
            "generator": "scripts/dinov2-size-check.py",
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "note": "opset 18 is not offered: torch.onnx.export of this torch stops at opset 17",
        },
    }
    if a.bench:
        r = subprocess.run(
            [sys.executable, __file__, "--out", a.out, "--bench-child", "--rounds", str(a.rounds)]
            + ["--threads", str(a.threads)],
            check=True,
            capture_output=True,
            text=True,
        )
        manifest["torch"] = json.loads(r.stdout.strip().splitlines()[-1])
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    for c in cases:
        print(f"{c['file']}: {c['bytes'] / 1e6:.1f} MB, exported in {c['exportSeconds']} s")
    print(f"{params / 1e6:.2f}M parameters; manifest in {os.path.join(a.out, 'manifest.json')}")


if __name__ == "__main__":
    main()
