"""The training loops of Tandem's distill module written in PyTorch, for a speed comparison on the same
machine and thread count. Same models (teacher-cnn, student-tiny), same data (Debian's Fashion-MNIST),
same batch size, optimiser (Adam 1e-3, gradients clipped element-wise at 5 as distill does), loss (KD with
T = 1, alpha = 0.3, distill's defaults) and normalisation. After untimed warm-up epochs of 2,000 images for
at least WARMUP seconds (the JVM side needs them to finish compiling; both sides get them), prints images
per second of REPEATS timed epochs of each loop named in WHAT (teacher, student or both).
Usage: python3 bench/pytorch_train_speed.py IMAGES THREADS REPEATS [WHAT] [WARMUP]"""
import gzip
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist/"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = [struct.unpack(">I", f.read(4))[0] for _ in range(magic & 0xFF)]
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def teacher_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6272, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, 10))


def student_tiny():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10))


def epoch(model, x, y, soft, batch, temperature=1.0, alpha=0.3):
    """One epoch in shuffled order, dropping the last partial batch; returns seconds."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for i in range(0, len(x) - batch + 1, batch):
        idx = order[i:i + batch]
        out = model(x[idx])
        ce = F.cross_entropy(out, y[idx])
        if soft is None:
            loss = ce
        else:
            kd = F.kl_div(F.log_softmax(out / temperature, 1), F.log_softmax(soft[idx] / temperature, 1),
                          reduction="batchmean", log_target=True) * temperature * temperature
            loss = alpha * kd + (1 - alpha) * ce
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), 5.0)
        opt.step()
    return time.perf_counter() - start


def main():
    n, threads, repeats = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    what = sys.argv[4] if len(sys.argv) > 4 else "teacher,student"
    warmup = float(sys.argv[5]) if len(sys.argv) > 5 else 15
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    images = read_idx(DATA + "train-images-idx3-ubyte.gz")[:n]
    labels = read_idx(DATA + "train-labels-idx1-ubyte.gz")[:n]
    x = ((torch.from_numpy(images.astype(np.float32)) / 255.0 - 0.2860) / 0.3530).unsqueeze(1)
    y = torch.from_numpy(labels.astype(np.int64))
    with torch.no_grad():
        teacher = teacher_cnn().eval()
        soft = torch.cat([teacher(x[i:i + 256]) for i in range(0, n, 256)])
    loops = {"teacher": (teacher_cnn, None), "student": (student_tiny, soft)}
    for name in what.split(","):
        make, targets = loops[name]
        w, warm = min(2000, n), 0.0
        while warm < warmup:
            warm += epoch(make(), x[:w], y[:w], None if targets is None else targets[:w], 64)
        for r in range(repeats):
            seconds = epoch(make(), x, y, targets, 64)
            print(f"pytorch {torch.__version__} {name} epoch {r + 1}: {n / seconds:.1f} images/s", flush=True)


if __name__ == "__main__":
    main()
