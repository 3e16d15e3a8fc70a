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
    make_fixtures.py min-sizes
        Prints one JSON line {ARCH: the smallest input size at which PyTorch runs a forward} for torchvision's
        resnet18, resnet34, resnet50, vgg11, vgg11_bn, vgg16, mobilenet_v2 and the PyTorch equivalents of RankLab's cifar_resnet18
        (3x3 stem, no max-pool), cifar_vgg11 and lenet5 (their feature layers: their heads follow the size).
    make_fixtures.py fashion OUTDIR FASHION_DIR
        The issue-16 case: torchvision resnet18 (3 channels, 10 classes) trained for a few steps on 28x28
        Fashion-MNIST (grayscale replicated to 3 channels, normalised with mean 0.5, std 0.25), then
          OUTDIR/fashion_resnet18.pth     its state dict
          OUTDIR/fashion_resnet18_io.pth  {"logits": eval-mode logits of the 10000 test images, "labels"}
    make_fixtures.py whole OUTDIR
        Whole pickled torchvision models (torch.save(model)): OUTDIR/whole_resnet18.pth (10 classes),
        OUTDIR/whole_vgg11_bn.pth (1 input channel, 7 classes; weights emptied, only the structure matters)
        and OUTDIR/whole_resnet50.pth (weights emptied).
    make_fixtures.py torchscript MODULE IO
        Loads MODULE (RankLab's `export --format torchscript`) with torch.jit.load, runs IO's "input" (real
        Fashion-MNIST test images) in eval mode and prints one JSON line:
          {"max_abs_diff": |logits - IO "logits" (RankLab's)|max, "parameters": [names], "buffers": [names],
           "about": MODULE.about(), "trains": a training-mode step gives every parameter a gradient,
           "onnx": bytes torch.onnx.export(torch.jit.load(MODULE), ...) wrote, or why it could not,
           "onnx_checked": null, or why the ONNX file was not checked (onnx/onnxruntime missing)}
Exit status 0 on success; on failure a message on stderr and status 1.
"""
import gzip
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


def smallest_size(module, channels=3):
    module.eval()
    for size in range(1, 257):
        try:
            with torch.no_grad():
                module(torch.zeros(1, channels, size, size))
            return size
        except RuntimeError:  # "Output size is too small", "Kernel size can't be greater than actual input size"
            pass
    return 0


def min_sizes():
    nn = torch.nn
    models = {arch: getattr(torchvision.models, arch)(weights=None, num_classes=10)
              for arch in ["resnet18", "resnet34", "resnet50", "vgg11", "vgg11_bn", "vgg16", "mobilenet_v2"]}
    cifar_resnet = torchvision.models.resnet18(weights=None, num_classes=10)
    cifar_resnet.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    cifar_resnet.maxpool = nn.Identity()
    models["cifar_resnet18"] = cifar_resnet
    models["cifar_vgg11"] = torchvision.models.vgg11_bn(weights=None).features
    sizes = {arch: smallest_size(m) for arch, m in models.items()}
    lenet5 = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                           nn.MaxPool2d(2))
    sizes["lenet5"] = smallest_size(lenet5, channels=1)
    print(json.dumps(sizes))


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        data = f.read()
    return torch.frombuffer(bytearray(data[header:]), dtype=torch.uint8)


def fashion_inputs(images):
    x = images.reshape(-1, 1, 28, 28).float() / 255
    return ((x - 0.5) / 0.25).expand(-1, 3, -1, -1)


def fashion(outdir, data_dir):
    os.makedirs(outdir, exist_ok=True)
    train_x = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), 16)
    train_y = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), 8).long()
    test_x = read_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), 16)
    test_y = read_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"), 8).long()
    torch.manual_seed(0)
    m = torchvision.models.resnet18(weights=None, num_classes=10)
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    g = torch.Generator().manual_seed(1)
    order = torch.randperm(train_y.numel(), generator=g)
    images = fashion_inputs(train_x)
    m.train()
    for step in range(40):
        batch = order[step * 64:(step + 1) * 64]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(images[batch]), train_y[batch]).backward()
        opt.step()
    m.eval()
    test = fashion_inputs(test_x)
    with torch.no_grad():
        logits = torch.cat([m(test[i:i + 500]) for i in range(0, test.size(0), 500)])
    torch.save(m.state_dict(), os.path.join(outdir, "fashion_resnet18.pth"))
    torch.save({"logits": logits, "labels": test_y}, os.path.join(outdir, "fashion_resnet18_io.pth"))
    top1 = (logits.argmax(1) == test_y).float().mean().item()
    print(f"fashion resnet18: top-1 {100 * top1:.2f}% on {test_y.numel()} test images at 28x28")


def emptied(model):
    for p in model.parameters():
        p.data = torch.empty(0)
    return model


def whole(outdir):
    os.makedirs(outdir, exist_ok=True)
    torch.save(torchvision.models.resnet18(weights=None, num_classes=10), os.path.join(outdir, "whole_resnet18.pth"))
    vgg = torchvision.models.vgg11_bn(weights=None, num_classes=7)
    vgg.features[0] = torch.nn.Conv2d(1, 64, 3, padding=1)
    torch.save(emptied(vgg), os.path.join(outdir, "whole_vgg11_bn.pth"))
    torch.save(emptied(torchvision.models.resnet50(weights=None)), os.path.join(outdir, "whole_resnet50.pth"))


def torchscript(module_path, io_path):
    import io as bytes_io
    m = torch.jit.load(module_path)
    m.eval()
    data = torch.load(io_path)
    with torch.no_grad():
        logits = m(data["input"])
    result = {"max_abs_diff": (logits - data["logits"]).abs().max().item(),
              "parameters": [n for n, _ in m.named_parameters()],
              "buffers": [n for n, _ in m.named_buffers()],
              "about": m.about()}
    # The user keeps training it in PyTorch: every parameter gets a gradient in training mode.
    trained = torch.jit.load(module_path)
    trained.train()
    trained(data["input"][:8]).logsumexp(1).sum().backward()
    result["trains"] = all(p.grad is not None for p in trained.parameters())
    # The ONNX route: torch.onnx.export of the loaded module.
    buffer = bytes_io.BytesIO()
    try:
        torch.onnx.export(m, (data["input"][:1],), buffer, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        result["onnx"] = len(buffer.getvalue())
    except Exception as e:  # reported, not fatal: the TorchScript file is what RankLab promises
        result["onnx"] = f"{type(e).__name__}: {e}"
    try:
        import onnx  # noqa: F401
        import onnxruntime
        session = onnxruntime.InferenceSession(buffer.getvalue())
        onnx_logits = torch.from_numpy(session.run(None, {"input": data["input"].numpy()})[0])
        result["onnx_max_abs_diff"] = (onnx_logits - data["logits"]).abs().max().item()
        result["onnx_checked"] = None
    except ImportError as e:
        result["onnx_checked"] = f"not checked: {e} in {sys.executable}"
    print(json.dumps(result))


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        make(argv[1], argv[2:] or ["resnet18", "vgg11_bn"])
    elif len(argv) in (4, 5) and argv[0] == "verify":
        verify(*argv[1:])
    elif argv == ["min-sizes"]:
        min_sizes()
    elif len(argv) == 3 and argv[0] == "fashion":
        fashion(argv[1], argv[2])
    elif len(argv) == 3 and argv[0] == "torchscript":
        torchscript(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "whole":
        whole(argv[1])
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
