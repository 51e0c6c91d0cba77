#!/usr/bin/python3
"""bench-torch.py: the seed's GAN step in PyTorch with the data preloaded as one
tensor (its fastest form here), for scripts/bench.sh to compare against.

Same model, loss, optimiser, batch and order of work as the seed's script, but
the images are scaled once into a float tensor and batches are index slices
of it, so the time is the model's, not the DataLoader's. Prints
torch_epoch_s (median seconds per epoch over --epochs, or --steps steps
scaled to an epoch), torch_threads, and torch_kernel: the OpenBLAS kernel
that Debian's torch runs on (it links the system's libopenblas.so.0, which
reads OPENBLAS_CORETYPE as gan-train's does; "-" if it has none). Needs
Debian's python3-torch.

    /usr/bin/python3 scripts/bench-torch.py --data DIR [--epochs N | --steps N] [--threads N]
    /usr/bin/python3 scripts/bench-torch.py --size WxH [--channels C] [--limit N] [--hidden N] ...

--hidden sets the width (256), --size and --channels train on synthetic
images of that shape (random bytes, as gan-bench's), --limit on N images (of
--data, or synthetic; 60,000 without it); torch_epoch_s_60k scales the epoch
to 60,000 images. --threads 1,4,16 times each count in turn in one process
(torch_epoch_s_60k_tN for each; the plain names give the first).
"""
import argparse
import ctypes
import gzip
import os
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def read_images(folder):
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            raw = (gzip.open if name.endswith(".gz") else open)(path, "rb").read()
            magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
            assert magic == 0x803, "%s: not an IDX image file" % path
            return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows * cols)
    raise SystemExit("bench-torch.py: no train-images-idx3-ubyte[.gz] in %s" % folder)


def openblas_kernel():
    """The core name of the OpenBLAS loaded in this process (torch's)."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--size", help="WxH: synthetic images of that shape")
    ap.add_argument("--channels", type=int, default=1, choices=(1, 3))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=0, help="time this many steps instead")
    ap.add_argument("--threads", default="1", help="N, or a list N,M,...: each timed in turn")
    args = ap.parse_args()
    if bool(args.data) == bool(args.size):
        raise SystemExit("bench-torch.py: give --data DIR or --size WxH")
    try:
        thread_list = [int(v) for v in args.threads.split(",")]
    except ValueError:
        raise SystemExit("bench-torch.py: --threads takes N or N,M,...")
    if min(thread_list) < 1:
        raise SystemExit("bench-torch.py: --threads takes counts of 1 and up")
    torch.manual_seed(0)
    if args.size:
        w, h = (int(v) for v in args.size.split("x"))
        count = args.limit or 60000
        u8 = torch.randint(0, 256, (count, w * h * args.channels), dtype=torch.uint8)
    else:
        u8 = torch.from_numpy(read_images(args.data).copy())
        if args.limit:
            u8 = u8[:args.limit]
    x = (u8.float().div(255) - 0.5) / 0.5
    n, pixels = x.shape
    H = args.hidden
    G = nn.Sequential(nn.Linear(100, H), nn.ReLU(True), nn.Linear(H, H), nn.ReLU(True),
                      nn.Linear(H, pixels), nn.Tanh())
    D = nn.Sequential(nn.Linear(pixels, H), nn.ReLU(True), nn.Linear(H, H), nn.ReLU(True),
                      nn.Linear(H, 1), nn.Sigmoid())
    criterion = nn.BCELoss()
    optimizer_g = optim.Adam(G.parameters(), lr=2e-4)
    optimizer_d = optim.Adam(D.parameters(), lr=2e-4)
    batch = 64
    steps_per_epoch = (n + batch - 1) // batch

    def step(imgs):
        b = imgs.size(0)
        real_labels = torch.ones(b, 1)
        fake_labels = torch.zeros(b, 1)
        optimizer_d.zero_grad()
        d_real_loss = criterion(D(imgs), real_labels)
        z = torch.randn(b, 100)
        gen_imgs = G(z).detach()
        d_fake_loss = criterion(D(gen_imgs), fake_labels)
        loss_d = (d_real_loss + d_fake_loss) / 2
        loss_d.backward()
        optimizer_d.step()
        optimizer_g.zero_grad()
        gen_imgs = G(z)
        loss_g = criterion(D(gen_imgs), real_labels)
        loss_g.backward()
        optimizer_g.step()

    def run(nsteps):
        perm = torch.randperm(n)
        t0 = time.perf_counter()
        for s in range(nsteps):
            i = s % steps_per_epoch
            step(x[perm[i * batch:(i + 1) * batch]])
        return time.perf_counter() - t0

    print("torch_version=%s" % torch.__version__)
    print("torch_kernel=%s" % openblas_kernel())
    for i, threads in enumerate(thread_list):
        torch.set_num_threads(threads)
        run(20)  # warm-up
        if args.steps:
            secs = [run(args.steps) / args.steps * steps_per_epoch for _ in range(3)]
        else:
            secs = [run(steps_per_epoch) for _ in range(args.epochs)]
        epoch = statistics.median(secs)
        if i == 0:  # the first count's figures under the plain names
            print("torch_threads=%d" % threads)
            print("torch_epoch_s=%.3f" % epoch)
            print("torch_epoch_s_60k=%.3f" % (epoch * 60000 / n))
        print("torch_epoch_s_60k_t%d=%.3f" % (threads, epoch * 60000 / n), flush=True)


if __name__ == "__main__":
    main()
