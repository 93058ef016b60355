"""PyTorch side of test/torch-crosscheck.test.ts.

Reads a JSON job on stdin: data (x, one-hot y), initial weights of an
MLP in -> hidden (tanh) -> classes (softmax), in tfjs layout (kernel
[in, out]), SGD settings. Trains in float32 with
torch.optim.SGD(weight_decay=alpha) on the kernels only (the book's
alpha/2 ||W||^2, reglab's l2(alpha)), batches in order (no shuffling),
softmax cross-entropy on logits. Prints {"loss": [...], "weights": [...]}
where loss[e] is the mean over the epoch of the per-batch data loss
(weighted by batch size), evaluated before each step as Keras/tfjs do.
"""
import json
import sys

import torch

job = json.load(sys.stdin)
torch.set_default_dtype(torch.float32)
x = torch.tensor(job["x"], dtype=torch.float32)
y = torch.tensor(job["y"], dtype=torch.float32).argmax(dim=1)
k1, b1, k2, b2 = (torch.tensor(w, dtype=torch.float32) for w in job["weights"])

l1 = torch.nn.Linear(k1.shape[0], k1.shape[1])
l2 = torch.nn.Linear(k2.shape[0], k2.shape[1])
with torch.no_grad():
    l1.weight.copy_(k1.T)
    l1.bias.copy_(b1)
    l2.weight.copy_(k2.T)
    l2.bias.copy_(b2)
model = torch.nn.Sequential(l1, torch.nn.Tanh(), l2)
opt = torch.optim.SGD(
    [
        {"params": [l1.weight, l2.weight], "weight_decay": job["alpha"]},
        {"params": [l1.bias, l2.bias], "weight_decay": 0.0},
    ],
    lr=job["lr"],
)
n = x.shape[0]
bs = job["batchSize"]
losses = []
for epoch in range(job["epochs"]):
    total = 0.0
    for start in range(0, n, bs):
        xb, yb = x[start : start + bs], y[start : start + bs]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * xb.shape[0]
    losses.append(total / n)
weights = [l1.weight.T, l1.bias, l2.weight.T, l2.bias]
print(json.dumps({"loss": losses, "weights": [w.detach().flatten().tolist() for w in weights], "torch": torch.__version__}))
