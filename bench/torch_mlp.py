"""PyTorch side (Adam, L2 on weights, dropout) of the training benchmark: the chapter MLP on digits.

Same architecture, data, batch sizes and epochs as bench/training.ts; prints
one JSON line {"msPerEpoch": [...], "threads": N, "torch": version}.
Run: /usr/bin/python3 bench/torch_mlp.py --batch 64 --epochs 5 --hidden 256,256
"""
import argparse, gzip, json, os, time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=64)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--hidden", default="256,256")
p.add_argument("--dropout", type=float, default=0.5)
p.add_argument("--l2", type=float, default=1e-4, help="book alpha; SGD weight_decay = alpha")
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--threads", type=int, default=0, help="0 = PyTorch default")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data", "digits", "digits.csv.gz"))
a = p.parse_args()

if a.threads:
    torch.set_num_threads(a.threads)
torch.manual_seed(0)
with gzip.open(a.data, "rt") as f:
    rows = np.loadtxt(f, delimiter=",", dtype=np.float32)
x = torch.from_numpy(rows[:, :64] / 16.0)
y = torch.from_numpy(rows[:, 64].astype(np.int64))

sizes = [64] + [int(h) for h in a.hidden.split(",") if h] + [10]
layers = []
for i in range(len(sizes) - 1):
    layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    if i < len(sizes) - 2:
        layers += [torch.nn.ReLU(), torch.nn.Dropout(a.dropout)]
model = torch.nn.Sequential(*layers)
# L2 on weights only (book alpha/2 ||w||^2 -> gradient alpha*w = Adam's coupled weight_decay), as reglab's l2 penalty.
weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
opt = torch.optim.Adam([{"params": weights, "weight_decay": a.l2}, {"params": biases, "weight_decay": 0.0}], lr=a.lr)
loss_fn = torch.nn.CrossEntropyLoss()

times = []
n = x.shape[0]
for epoch in range(a.epochs):
    t0 = time.perf_counter()
    model.train()
    perm = torch.randperm(n)
    for i in range(0, n, a.batch):
        idx = perm[i : i + a.batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    float(loss)
    times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"msPerEpoch": times, "threads": torch.get_num_threads(), "torch": torch.__version__}))
