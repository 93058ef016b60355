"""What the PyTorch benchmark workers (torch_cnn.py, torch_mlp.py) share: the spec they are given, one
timed epoch, and the stdin loop that answers one JSON command per line."""
import json, sys, time

import torch


def load_spec(path, row_shape):
    """The spec bench/conv.ts or bench/training.ts wrote, with its rows as a float32 tensor [n, *row_shape(spec)],
    its labels as int64 and its per-epoch row permutations as int64 tensors."""
    with open(path) as f:
        spec = json.load(f)
    n = spec["n"]
    x = torch.tensor(spec["x"], dtype=torch.float32).reshape(n, *row_shape(spec))
    y = torch.tensor(spec["labels"], dtype=torch.int64)
    perms = [torch.tensor(q, dtype=torch.int64) for q in spec["perms"]]
    return spec, x, y, perms


def epoch(model, opt, x, y, perm, batch):
    """One epoch over the rows in `perm`, `batch` at a time: (ms, mean batch loss weighted by batch size)."""
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


def serve(answer):
    """Answer each non-blank stdin line (a JSON command) with the JSON line `answer(command)`, until {"quit": true}."""
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        print(json.dumps(answer(cmd)), flush=True)
