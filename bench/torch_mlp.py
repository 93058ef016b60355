"""PyTorch twin of the training benchmark (bench/training.ts): the chapter MLP on digits.

Worker mode (what `npm run bench` uses):
    /usr/bin/python3 bench/torch_mlp.py --spec SPEC.json
SPEC.json (written by bench/training.ts) holds the data (x: n*64 floats
already scaled to [0, 1], labels), the layer sizes, dropout rate, L2 alpha,
learning rate, the tfjs model's INITIAL weights (dense kernels [in, out]
row-major + biases) and the per-epoch row permutations. The worker prints
one JSON line {"ready": true, "threads": N, "torch": version}, then answers
each stdin line {"key": K, "batch": B, "perm": k} with one epoch of training
(a model per key, created from the initial weights on first use, its Adam state
kept across epochs) over the rows in permutation k, and prints
{"ms": epoch time, "loss": mean batch loss}. So PyTorch sees the same initial
weights and the same batches, in the same order, as tfjs; only dropout masks
differ. Epochs are driven one at a time so the benchmark can interleave them
with the tfjs contenders.

Conventions: L2 as the book's alpha/2 ||w||^2 on weights only (not biases);
its gradient alpha*w is what Adam's coupled `weight_decay=alpha` adds, the
same as reglab's `penalty: l2(alpha)` and tfjs `l2({l2: alpha/2})`.
CrossEntropyLoss on logits = softmax + categorical cross-entropy.
Threads: PyTorch's default (torch.get_num_threads(); 1 on this machine), or --threads.

Standalone: /usr/bin/python3 bench/torch_mlp.py --batch 64 --epochs 5
(random init and shuffles; prints {"msPerEpoch": [...], "threads": N, "torch": version}).
"""
import argparse, gzip, json, os, sys, time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--spec", help="JSON spec from bench/training.ts; worker mode")
p.add_argument("--batch", type=int, default=64)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--threads", type=int, default=0, help="0 = PyTorch default")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data", "digits", "digits.csv.gz"))
a = p.parse_args()

if a.threads:
    torch.set_num_threads(a.threads)


def build(sizes, dropout, init=None):
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        if init is not None:
            k = np.asarray(init[i]["kernel"], dtype=np.float32).reshape(sizes[i], sizes[i + 1])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(k.T.copy()))  # tfjs kernel [in, out] -> torch weight [out, in]
                lin.bias.copy_(torch.from_numpy(np.asarray(init[i]["bias"], dtype=np.float32)))
        layers.append(lin)
        if i < len(sizes) - 2:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(dropout)]
    return torch.nn.Sequential(*layers)


def optimizer(model, l2, lr):
    weights = [q for n, q in model.named_parameters() if n.endswith("weight")]
    biases = [q for n, q in model.named_parameters() if n.endswith("bias")]
    return torch.optim.Adam([{"params": weights, "weight_decay": l2}, {"params": biases, "weight_decay": 0.0}], lr=lr)


def epoch(model, opt, x, y, perm, batch):
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    t0 = time.perf_counter()
    total = torch.zeros(())
    n = x.shape[0]
    for i in range(0, n, batch):
        idx = perm[i : i + batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.detach() * idx.shape[0]
    mean = float(total) / n  # one sync per epoch, as reglab's train
    return (time.perf_counter() - t0) * 1000, mean


def worker(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    n = spec["n"]
    x = torch.tensor(spec["x"], dtype=torch.float32).reshape(n, spec["sizes"][0])
    y = torch.tensor(spec["labels"], dtype=torch.int64)
    perms = [torch.tensor(q, dtype=torch.int64) for q in spec["perms"]]
    models = {}
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        b = int(cmd["batch"])
        key = cmd.get("key", str(b))
        if key not in models:
            torch.manual_seed(spec.get("seed", 0))
            m = build(spec["sizes"], spec["dropout"], spec["weights"])
            models[key] = (m, optimizer(m, spec["l2"], spec["lr"]))
        m, opt = models[key]
        ms, loss = epoch(m, opt, x, y, perms[int(cmd["perm"]) % len(perms)], b)
        print(json.dumps({"ms": ms, "loss": loss}), flush=True)


def standalone():
    torch.manual_seed(0)
    with gzip.open(a.data, "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = torch.from_numpy(rows[:, :64] / 16.0)
    y = torch.from_numpy(rows[:, 64].astype(np.int64))
    m = build([64, 256, 256, 10], 0.5)
    opt = optimizer(m, 1e-4, 1e-3)
    times = [epoch(m, opt, x, y, torch.randperm(x.shape[0]), a.batch)[0] for _ in range(a.epochs)]
    print(json.dumps({"msPerEpoch": times, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if a.spec:
    worker(a.spec)
else:
    standalone()
