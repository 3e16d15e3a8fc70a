#!/usr/bin/python3
"""Small PyTorch files for test_weights (run with Debian's /usr/bin/python3 and python3-torch).

    make_weights_fixtures.py make OUTDIR    write the fixtures listed below into OUTDIR
    make_weights_fixtures.py check OUTDIR   read RankLab's export.pth and checkpoint.rlk from OUTDIR back

The model is the `Small` network below; test_weights.cpp builds the same one with LibTorch
(torch::nn::Sequential of Conv2d(3,4,3,padding=1), BatchNorm2d(4), ReLU, Flatten, Linear(144,5)).
Exit status 0 on success; on failure one line on stderr.
"""
import argparse
import collections
import os
import sys
import zipfile

import torch


def small():
    torch.manual_seed(0)
    m = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 6 * 6, 5),
    )
    m.train()
    with torch.no_grad():  # give the batch norm real running statistics and num_batches_tracked = 3
        for _ in range(3):
            m(torch.randn(8, 3, 6, 6) * 2 + 1)
    m.eval()
    return m


def dtype_tensors():
    """Tensors whose values test_weights.cpp recomputes: each dtype, views, shared and broadcast storage."""
    base = torch.arange(24).reshape(2, 3, 4)
    out = collections.OrderedDict()
    for name, dtype in [("float32", torch.float32), ("float64", torch.float64), ("float16", torch.float16),
                        ("bfloat16", torch.bfloat16), ("int64", torch.int64), ("int32", torch.int32),
                        ("int16", torch.int16), ("int8", torch.int8), ("uint8", torch.uint8)]:
        out[name] = base.to(dtype)
    out["bool"] = (base % 2 == 1)
    out["negative_int64"] = torch.tensor([-(2 ** 40), -5, 7], dtype=torch.int64)
    shared = torch.arange(12, dtype=torch.float32)
    out["transposed"] = shared.reshape(3, 4).t()         # stride (1, 4)
    out["offset"] = shared[3:7]                          # storage offset 3, same storage
    out["scalar"] = torch.tensor(2.5)
    out["empty"] = torch.zeros(0, 3)
    out["expanded"] = torch.arange(3.0).expand(4, 3)     # stride (0, 1)
    return out


def make(outdir):
    os.makedirs(outdir, exist_ok=True)
    m = small()
    sd = m.state_dict()
    x = torch.linspace(-2, 2, 2 * 3 * 6 * 6).reshape(2, 3, 6, 6)
    with torch.no_grad():
        y = m(x)
    p = lambda name: os.path.join(outdir, name)
    torch.save({"input": x, "output": y}, p("io.pth"))
    torch.save(sd, p("sd_default.pth"))                                  # OrderedDict, protocol 2
    torch.save(sd, p("sd_proto4.pth"), pickle_protocol=4)                # FRAME, MEMOIZE, STACK_GLOBAL
    trained = small()
    opt = torch.optim.SGD(trained.parameters(), lr=0.1, momentum=0.9)
    trained(x).sum().backward()
    opt.step()                                                           # momentum buffers in the state
    torch.save({"epoch": 3, "best_acc": 0.5, "state_dict": sd, "optimizer": opt.state_dict(),
                "args": argparse.Namespace(lr=0.1, name="small"), "tags": {"a", "b"}, "blob": b"\x00\x01"},
               p("sd_wrapped.pth"))
    torch.save({"model": dict(sd), "step": 10 ** 12}, p("sd_model.pth"))
    checkpoint_forms(sd, opt, x, p)
    torch.save(torch.nn.DataParallel(m).state_dict(), p("sd_module.pth"))
    torch.save(dict(m.named_parameters()), p("params.pth"))             # nn.Parameter → _rebuild_parameter
    torch.save(dtype_tensors(), p("dtypes.pth"))
    torch.save(sd, p("legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(m, p("whole_model.pth"))
    torch.jit.save(torch.jit.script(m), p("script.pt"))
    torch.jit.save(torch.jit.trace(m, x), p("traced.pt"))
    short_tensor_record(p("script.pt"), p("script_short_record.pt"))


def checkpoint_forms(sd, opt, x, p):
    """Files that PyTorch loads into `small()` with load_state_dict(strict=True), each checked here, and that
    RankLab must load too: a tutorial checkpoint, a state dict without num_batches_tracked, a Lightning
    checkpoint ("model." on every name), half and double weights. io.pth gets "output_half": the output of
    the float model loaded from the half weights."""
    loss = torch.nn.functional.mse_loss(small()(x), torch.zeros(2, 5))
    torch.save({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict(), "loss": loss},
               p("tutorial.pth"))                                    # pytorch.org's "saving a general checkpoint"
    no_counters = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}  # a dict: no _metadata
    torch.save(no_counters, p("sd_no_counters.pth"))
    torch.save({"epoch": 2, "global_step": 100, "pytorch-lightning_version": "1.9.0",
                "state_dict": collections.OrderedDict(("model." + k, v) for k, v in sd.items()),
                "optimizer_states": [opt.state_dict()], "lr_schedulers": [], "hyper_parameters": {"lr": 0.1}},
               p("lightning.ckpt"))
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in sd.items()}, p("sd_half.pth"))
    torch.save({k: v.double() if v.is_floating_point() else v for k, v in sd.items()}, p("sd_double.pth"))
    outputs = {}
    for name, state in [("tutorial.pth", torch.load(p("tutorial.pth"))["model_state_dict"]),
                        ("sd_no_counters.pth", torch.load(p("sd_no_counters.pth"))),
                        ("lightning.ckpt", {k[len("model."):]: v for k, v in torch.load(p("lightning.ckpt"))["state_dict"].items()}),
                        ("sd_half.pth", torch.load(p("sd_half.pth"))),
                        ("sd_double.pth", torch.load(p("sd_double.pth")))]:
        m = small()
        m.load_state_dict(state, strict=True)
        with torch.no_grad():
            outputs[name] = m(x)
    if not torch.equal(outputs["sd_no_counters.pth"], outputs["tutorial.pth"]):
        raise SystemExit("PyTorch gives other outputs without num_batches_tracked")
    io = torch.load(p("io.pth"))
    io["output_half"] = outputs["sd_half.pth"]
    torch.save(io, p("io.pth"))


def short_tensor_record(src, dst):
    """A copy of the TorchScript archive `src` whose last tensor record (data/N) keeps only its first 8 bytes:
    the zip stays valid (each record's CRC is recomputed), so only a bounds check of each storage against
    its record can notice that the tensor needs more bytes than the file holds."""
    with zipfile.ZipFile(src) as zin:
        infos = zin.infolist()
        records = [i for i in infos if "/data/" in i.filename and i.filename.rsplit("/", 1)[-1].isdigit()]
        last = max(records, key=lambda i: int(i.filename.rsplit("/", 1)[-1]))
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
            for info in infos:
                data = zin.read(info.filename)
                if info.filename == last.filename:
                    data = data[:8]
                zout.writestr(info.filename, data)


def check(outdir):
    p = lambda name: os.path.join(outdir, name)
    io = torch.load(p("io.pth"))
    m = small()
    exported = torch.load(p("export.pth"))
    if type(exported) is not dict:
        raise SystemExit(f"export.pth loads as {type(exported).__name__}, not dict")
    m.load_state_dict(exported, strict=True)
    with torch.no_grad():
        diff = (m(io["input"]) - io["output"]).abs().max().item()
    if diff > 1e-5:
        raise SystemExit(f"export.pth gives outputs off by {diff}")
    ckpt = torch.load(p("checkpoint.rlk"))
    if ckpt.get("ranklab_format") != 1 or not isinstance(ckpt.get("meta"), str):
        raise SystemExit(f"checkpoint.rlk has unexpected keys {sorted(ckpt)}")
    m2 = small()
    m2.load_state_dict(ckpt["model"], strict=True)
    for k, v in ckpt["optimizer"].items():
        if not torch.is_tensor(v):
            raise SystemExit(f"optimizer entry {k} is not a tensor")
    print(f"ok max_abs_diff={diff:.3g} meta={ckpt['meta']}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "check"):
        raise SystemExit(__doc__)
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
