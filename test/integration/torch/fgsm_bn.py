"""PyTorch side of the FGSM and batch-norm cross-checks in test/torch-crosscheck.test.ts.

Reads a JSON job on stdin with "kind":
- "fgsm": x, one-hot y, weights of in -> hidden (tanh) -> classes (softmax)
  in tfjs layout (kernel [in, out]), epsilon, clip. Returns the input
  gradient of the mean cross-entropy and x_adv = clamp(x + eps sign(g)).
- "bn": batches (list of [m, d]), gamma, beta, momentum (tfjs convention:
  weight of the old value; torch momentum = 1 - it), eps. Runs
  BatchNorm1d in training mode over the batches, then in eval mode on the
  last batch. Returns the training outputs, the running statistics
  (unbiased variance, as PyTorch does), the eval output and the gradients
  of sum(y * r) for the last batch with respect to x, gamma and beta.
"""
import json
import sys

import torch

job = json.load(sys.stdin)
torch.set_default_dtype(torch.float32)
out = {"torch": torch.__version__}
if job["kind"] == "fgsm":
    x = torch.tensor(job["x"], dtype=torch.float32, requires_grad=True)
    y = torch.tensor(job["y"], dtype=torch.float32).argmax(dim=1)
    k1, b1, k2, b2 = (torch.tensor(w, dtype=torch.float32) for w in job["weights"])
    logits = torch.tanh(x @ k1 + b1) @ k2 + b2
    loss = torch.nn.functional.cross_entropy(logits, y)
    (g,) = torch.autograd.grad(loss, x)
    lo, hi = job["clip"]
    adv = torch.clamp(x + job["epsilon"] * g.sign(), lo, hi)
    out.update(grad=g.tolist(), adv=adv.detach().tolist())
else:
    batches = [torch.tensor(b, dtype=torch.float32) for b in job["batches"]]
    d = batches[0].shape[1]
    bn = torch.nn.BatchNorm1d(d, eps=job["eps"], momentum=1 - job["momentum"])
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(job["gamma"]))
        bn.bias.copy_(torch.tensor(job["beta"]))
    bn.train()
    ys = []
    for b in batches[:-1]:
        ys.append(bn(b).detach().tolist())
    last = batches[-1].clone().requires_grad_(True)
    y = bn(last)
    ys.append(y.detach().tolist())
    r = torch.tensor(job["r"], dtype=torch.float32)
    gx, gg, gb = torch.autograd.grad((y * r).sum(), [last, bn.weight, bn.bias])
    bn.eval()
    out.update(
        train=ys,
        running_mean=bn.running_mean.tolist(),
        running_var=bn.running_var.tolist(),
        eval=bn(batches[-1]).detach().tolist(),
        grad_x=gx.tolist(),
        grad_gamma=gg.tolist(),
        grad_beta=gb.tolist(),
    )
print(json.dumps(out))
