#!/usr/bin/env python3
"""Writes test/fixtures-interop/: small encoders exported by PyTorch's own ONNX exporter
(torch.onnx.export) with their inputs and PyTorch's outputs, for test/interop-import.test.ts.

  /usr/bin/python3 scripts/make-interop-fixture.py

Two encoders cover the ops the exporter emits for conv, MLP and ViT-style models:
  - vit-tiny-op13.onnx: conv patch embedding, class token (Expand), position embedding,
    one pre-norm transformer block (LayerNorm decomposed at opset 13, exact GELU as Erf,
    multi-head attention with Reshape/Transpose/Softmax), mean pooling, a linear head;
    the batch dimension is dynamic ("batch").
  - cnn-mlp-op17.onnx: two convolutions with ReLU, Flatten, an MLP with Tanh and Sigmoid
    (Gemm), LayerNormalization (native at opset 17); a fixed batch of 2.
"""
import json
import os
import platform
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures-interop")


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * (d // h) ** -0.5
        att = att.softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class VitTiny(nn.Module):
    def __init__(self, channels=3, size=16, patch=4, dim=16, heads=2, out=8):
        super().__init__()
        self.patch = nn.Conv2d(channels, dim, patch, stride=patch)
        tokens = (size // patch) ** 2
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.1)
        self.block = Block(dim, heads)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, out)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)  # [B, T, D]
        cls = self.cls.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos
        x = self.norm(self.block(x))
        return self.head(x[:, 1:].mean(dim=1))


class CnnMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.fc1 = nn.Linear(8 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 16)
        self.norm = nn.LayerNorm(16)

    def forward(self, x):
        x = F.relu(self.c2(F.relu(self.c1(x))))
        x = torch.flatten(x, 1)
        x = torch.tanh(self.fc1(x))
        return self.norm(torch.sigmoid(self.fc2(x)) - 0.5)


def export(name, model, x, opset, dynamic):
    model.eval()
    path = os.path.join(OUT, f"{name}.onnx")
    kwargs = {"dynamic_axes": {"frames": {0: "batch"}, "embedding": {0: "batch"}}} if dynamic else {}
    torch.onnx.export(
        model, (x,), path, input_names=["frames"], output_names=["embedding"], opset_version=opset, **kwargs
    )
    with torch.no_grad():
        y = model(x)
    return {
        "file": f"{name}.onnx",
        "opset": opset,
        "dynamicBatch": dynamic,
        "input": {"name": "frames", "shape": list(x.shape), "data": x.flatten().tolist()},
        "output": {"name": "embedding", "shape": list(y.shape), "data": y.flatten().tolist()},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    cases = [
        export("vit-tiny-op13", VitTiny(), torch.rand(3, 3, 16, 16), 13, True),
        export("cnn-mlp-op17", CnnMlp(), torch.rand(2, 3, 16, 16), 17, False),
    ]
    provenance = {
        "generator": "scripts/make-interop-fixture.py",
        "command": "/usr/bin/python3 scripts/make-interop-fixture.py",
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "seed": 0,
        "note": "inputs are torch.rand float32 values written exactly; outputs are PyTorch's float32 forward pass in eval mode",
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"provenance": provenance, "cases": cases}, f)
        f.write("\n")
    for c in cases:
        print(c["file"], os.path.getsize(os.path.join(OUT, c["file"])), "bytes")


if __name__ == "__main__":
    main()
