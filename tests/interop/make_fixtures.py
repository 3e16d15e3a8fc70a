#!/usr/bin/python3
"""Interop fixtures of real torchvision models for test_interop (Debian's python3-torch + python3-torchvision).

    make_fixtures.py make OUTDIR [ARCH ...]
        For each ARCH (default: resnet18 vgg11_bn) — torchvision, weights=None, torch.manual_seed(0), batch-norm
        running statistics from a few random training-mode batches, then eval mode — writes
          OUTDIR/ARCH.pth      torch.save(model.state_dict()) in the default (OrderedDict, zip) form
          OUTDIR/ARCH.pt       torch.jit.save(torch.jit.script(model))
          OUTDIR/ARCH_io.pth   {"input": fixed 1x3xSxS tensor, "logits": the model's eval-mode logits}
        with S = 64 for ResNets and 32 for VGGs (adaptive pooling accepts both).
    make_fixtures.py verify ARCH EXPORT IO [RANKLAB_LOGITS]
        Loads EXPORT (written by RankLab) with torch.load into torchvision's ARCH with load_state_dict(strict=True),
        runs IO's input in eval mode and prints one JSON line:
          {"arch": ..., "strict": true, "max_abs_diff_python": |logits - IO logits|max,
           "max_abs_diff_ranklab": |logits - RANKLAB_LOGITS["logits"]|max (when given)}
Exit status 0 on success; on failure a message on stderr and status 1.
"""
import json
import os
import sys

import torch
import torchvision


def build(arch):
    torch.manual_seed(0)
    return getattr(torchvision.models, arch)(weights=None)


def input_size(arch):
    return 64 if arch.startswith("resnet") else 32


def make(outdir, archs):
    os.makedirs(outdir, exist_ok=True)
    for arch in archs:
        m = build(arch)
        size = input_size(arch)
        g = torch.Generator().manual_seed(1)
        m.train()
        with torch.no_grad():  # non-trivial running_mean / running_var / num_batches_tracked
            for _ in range(2):
                m(torch.randn(4, 3, size, size, generator=g) + 0.5)
        m.eval()
        x = torch.randn(1, 3, size, size, generator=g)
        with torch.no_grad():
            logits = m(x)
        torch.save(m.state_dict(), os.path.join(outdir, arch + ".pth"))
        torch.jit.save(torch.jit.script(m), os.path.join(outdir, arch + ".pt"))
        torch.save({"input": x, "logits": logits}, os.path.join(outdir, arch + "_io.pth"))
        print(f"{arch}: input {tuple(x.shape)}, logits |max| {logits.abs().max().item():.4g}")


def verify(arch, export, io_path, ranklab_logits=None):
    state = torch.load(export)
    if type(state) is not dict:
        raise RuntimeError(f"{export} loads as {type(state).__name__}, not dict")
    m = build(arch)
    m.load_state_dict(state, strict=True)
    m.eval()
    io = torch.load(io_path)
    with torch.no_grad():
        logits = m(io["input"])
    result = {"arch": arch, "strict": True,
              "max_abs_diff_python": (logits - io["logits"]).abs().max().item()}
    if ranklab_logits:
        result["max_abs_diff_ranklab"] = (logits - torch.load(ranklab_logits)["logits"]).abs().max().item()
    print(json.dumps(result))


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        make(argv[1], argv[2:] or ["resnet18", "vgg11_bn"])
    elif len(argv) in (4, 5) and argv[0] == "verify":
        verify(*argv[1:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:  # one line for the C++ test's failure message
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
