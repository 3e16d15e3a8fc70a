#!/usr/bin/env python3
"""The plain-PyTorch side of `ranklab-bench train-throughput`.

Trains the same model as RankLab (same architecture, batch size, thread count, SGD settings and data
pipeline: in-memory uint8 images, a shuffled index per epoch, float conversion and normalisation per
batch) for EPOCHS epochs on the first SUBSET Fashion-MNIST training images, and prints one JSON line with
the images/s of the last epoch (the first one warms up the kernels, as on the C++ side).
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torchvision


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, h, w = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, h, w).copy())


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64))


def make_model(name, width):
    if name == "lenet300":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(inplace=True), nn.Linear(300, 100),
                             nn.ReLU(inplace=True), nn.Linear(100, 10))
    if name == "cifar_resnet18":
        # torchvision's ResNet-18 with RankLab's CIFAR stem (3x3 stride-1 conv1, no max-pool), 1 input channel
        # and channels scaled by `width` (the same rounding as RankLab: max(1, round(c * width))).
        model = torchvision.models.resnet18(num_classes=10)
        planes = [max(1, round(c * width)) for c in (64, 128, 256, 512)]

        def block(inp, out, stride):
            down = None
            if stride != 1 or inp != out:
                down = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))
            return torchvision.models.resnet.BasicBlock(inp, out, stride, down)

        model.conv1 = nn.Conv2d(1, planes[0], 3, 1, 1, bias=False)
        model.bn1 = nn.BatchNorm2d(planes[0])
        model.maxpool = nn.Identity()
        inp = planes[0]
        for i, p in enumerate(planes):
            layer = nn.Sequential(block(inp, p, 1 if i == 0 else 2), block(p, p, 1))
            setattr(model, f"layer{i + 1}", layer)
            inp = p
        model.fc = nn.Linear(inp, 10)
        return model
    raise SystemExit(f"unknown model {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--subset", type=int, required=True)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = read_idx_images(f"{args.data_dir}/train-images-idx3-ubyte.gz")[: args.subset]
    labels = read_idx_labels(f"{args.data_dir}/train-labels-idx1-ubyte.gz")[: args.subset]
    mean = images.float().div(255).mean().item()
    std = images.float().div(255).std().item()
    model = make_model(args.model, args.width)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    ips = 0.0
    for epoch in range(args.epochs):
        perm = torch.randperm(len(labels))
        start = time.perf_counter()
        for i in range(0, len(labels), args.batch_size):
            idx = perm[i:i + args.batch_size]
            x = images.index_select(0, idx).float().sub_(mean * 255).div_(std * 255)
            y = labels.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()  # RankLab reads every batch loss (NaN check, progress): so does this loop
        ips = len(labels) / (time.perf_counter() - start)
    print(json.dumps({"model": args.model, "images_per_second": ips}))


if __name__ == "__main__":
    main()
