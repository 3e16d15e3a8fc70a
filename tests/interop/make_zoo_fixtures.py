#!/usr/bin/python3
"""torchvision models for test_models (run with Debian's /usr/bin/python3, python3-torch and python3-torchvision).

    make_zoo_fixtures.py OUTDIR

For each of resnet50, mobilenet_v2 (width 1) and mobilenet_v2_w0.35 (torchvision's width_mult=0.35, whose widths go
through _make_divisible) writes TAG.pth (torchvision's model, 10 classes, seeded, with real BatchNorm running
statistics), an input TAG_x.bin (2×3×64×64 float32, little endian), torchvision's logits for it TAG_y.bin (2×10
float32) and the parameter count TAG_params.txt. Exit status 0 on success; on failure one line on stderr.
"""
import os
import sys

import torch
import torchvision

MODELS = {
    "resnet50": lambda: torchvision.models.resnet50(num_classes=10),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=10),
    "mobilenet_v2_w0.35": lambda: torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.35),
}


def write(outdir, tag, make):
    torch.manual_seed(0)
    model = make()
    model.train()
    with torch.no_grad():  # running statistics that differ from the initial ones
        for _ in range(2):
            model(torch.randn(4, 3, 64, 64) * 1.5 + 0.2)
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        y = model(x)
    torch.save(model.state_dict(), os.path.join(outdir, tag + ".pth"))
    with open(os.path.join(outdir, tag + "_x.bin"), "wb") as f:
        f.write(x.contiguous().numpy().astype("<f4").tobytes())
    with open(os.path.join(outdir, tag + "_y.bin"), "wb") as f:
        f.write(y.contiguous().numpy().astype("<f4").tobytes())
    with open(os.path.join(outdir, tag + "_params.txt"), "w") as f:
        f.write(str(sum(p.numel() for p in model.parameters())))


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for tag, make in MODELS.items():
        write(outdir, tag, make)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # one line, for the test's failure message
        print(f"make_zoo_fixtures.py: {e}", file=sys.stderr)
        sys.exit(1)
