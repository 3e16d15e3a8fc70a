#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/) that need no RankLab run: small IDX
files cut from Debian's Fashion-MNIST, a tiny CIFAR-10 batch, small images, torch.save and TorchScript files
of a tiny model (Debian's /usr/bin/python3 with python3-torch), their zip records for fuzz_torch_records,
and parameter files. The run files (checkpoint.rlk, params.json, summary.json, metrics.csv, sweep.json,
spectrum.json, report.json) come from tiny ranklab-cli runs: see the README's fuzzing paragraph."""
import gzip, io, os, struct, sys, zipfile

import torch

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
fmnist = "/usr/share/datasets/fashion-mnist"


def put(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


# IDX: the first records of Fashion-MNIST, raw and gzip; the images also cropped to 4×4.
with gzip.open(os.path.join(fmnist, "t10k-images-idx3-ubyte.gz")) as f:
    head = f.read(16)
    images = f.read(3 * 28 * 28)
with gzip.open(os.path.join(fmnist, "t10k-labels-idx1-ubyte.gz")) as f:
    f.read(8)
    labels = f.read(16)
for n in (1, 3):
    idx = struct.pack(">IIII", 0x803, n, 28, 28) + images[: n * 28 * 28]
    put("fuzz_idx_images", f"fmnist-{n}.idx", idx)
    put("fuzz_idx_images", f"fmnist-{n}.idx.gz", gzip.compress(idx, mtime=0))
tiny = struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(range(32))
put("fuzz_idx_images", "tiny-2x4x4.idx", tiny)
put("fuzz_idx_images", "tiny-2x4x4.idx.gz", gzip.compress(tiny, mtime=0))
for n in (1, 16):
    idx = struct.pack(">II", 0x801, n) + labels[:n]
    put("fuzz_idx_labels", f"fmnist-{n}.idx", idx)
    put("fuzz_idx_labels", f"fmnist-{n}.idx.gz", gzip.compress(idx, mtime=0))

# CIFAR-10 binary: 1 and 2 records (label byte + 3×32×32 planes).
rec = lambda label, seed: bytes([label]) + bytes((i * seed) % 256 for i in range(3072))
put("fuzz_cifar_batch", "one-record.bin", rec(3, 7))
put("fuzz_cifar_batch", "two-records.bin", rec(0, 1) + rec(9, 13))

# Images: tiny PNG (gray, RGB, RGBA), JPEG, BMP, GIF.
try:
    from PIL import Image
    for mode, name in (("L", "gray"), ("RGB", "rgb"), ("RGBA", "rgba")):
        im = Image.new(mode, (4, 3))
        im.putdata([tuple((x * 40 + c * 20) % 256 for c in range(len(mode))) if len(mode) > 1 else x * 20 for x in range(12)])
        b = io.BytesIO(); im.save(b, "PNG"); put("fuzz_image_folder", f"{name}.png", b.getvalue())
    im = Image.new("RGB", (8, 8), (200, 30, 40))
    for fmt, ext in (("JPEG", "jpg"), ("BMP", "bmp"), ("GIF", "gif")):
        b = io.BytesIO(); im.save(b, fmt); put("fuzz_image_folder", f"rgb.{ext}", b.getvalue())
except ImportError:
    sys.stderr.write("python3-pil missing: no image seeds\n")


# A tiny model: conv 1→2 (3×3), batch norm, linear 2→3.
class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 2, 3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(2)
        self.fc = torch.nn.Linear(2, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.bn1(self.conv1(x))).mean((2, 3)))


torch.manual_seed(0)
model = Tiny().eval()


def saved(obj):
    b = io.BytesIO(); torch.save(obj, b); return b.getvalue()


zips = {
    "state_dict.pth": saved(model.state_dict()),
    "plain_dict.pth": saved({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.tensor([1, 2], dtype=torch.int64)}),
    "wrapped.pth": saved({"epoch": 3, "state_dict": model.state_dict(), "note": "x"}),
    "half_view.pth": saved({"v": torch.arange(8, dtype=torch.float16)[2:6], "t": torch.ones(2, 2).t()}),
}
for name, data in zips.items():
    put("fuzz_torch_zip", name, data)

scripted, traced = io.BytesIO(), io.BytesIO()
torch.jit.save(torch.jit.script(model), scripted)
torch.jit.save(torch.jit.trace(model, torch.zeros(1, 1, 5, 5)), traced)
put("fuzz_torchscript", "scripted.pt", scripted.getvalue())
put("fuzz_torchscript", "traced.pt", traced.getvalue())


def records(data):
    """A zip's records (top folder stripped, "version" left to the writer) in fuzz_torch_records' format."""
    out = b""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            name = info.filename.split("/", 1)[1]
            if name == "version":
                continue
            body = z.read(info)
            out += name.encode() + b"\n" + struct.pack("<I", len(body)) + body
    return out


for name, data in zips.items():
    put("fuzz_torch_records", name.replace(".pth", ".records"), records(data))
for name in sys.argv[1:]:  # RankLab files (exported .pth, checkpoint.rlk) given on the command line
    with open(name, "rb") as f:
        put("fuzz_torch_records", os.path.basename(name) + ".records", records(f.read()))

# Parameter files: the walk-throughs' own.
examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "resources", "examples")
for name in sorted(os.listdir(examples)):
    with open(os.path.join(examples, name), "rb") as f:
        put("fuzz_param_file", name, f.read())
