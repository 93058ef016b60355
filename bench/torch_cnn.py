"""PyTorch twin of the conv benchmark (bench/conv.ts): the chapter CNN on MNIST.

Worker mode: /usr/bin/python3 bench/torch_cnn.py --spec SPEC.json
SPEC.json (written by bench/conv.ts) holds the images (x: n*28*28 floats in
[0, 1]), labels, learning rate, dropout rate, the tfjs model's INITIAL weights
(conv kernels [kh, kw, cin, cout], dense kernels [in, out], biases) and the
per-epoch row permutations. It prints {"ready": true, "threads": N, "torch": v,
"blas": ...}, then answers each stdin line {"key": K, "batch": B, "perm": k} with
one epoch over the rows in permutation k, printing {"ms": ..., "loss": ...}.
Same architecture: conv3x3x32 relu, maxpool 2, conv3x3x64 relu, maxpool 2,
flatten in NHWC order (as tfjs), dense 128 relu, dropout, dense 10; Adam;
CrossEntropyLoss on logits = softmax + categorical cross-entropy.
"""
import argparse, json, os, re

import numpy as np
import torch

from torch_common import epoch, load_spec, serve

p = argparse.ArgumentParser()
p.add_argument("--spec", required=True)
a = p.parse_args()


class Net(torch.nn.Module):
    def __init__(self, w, dropout):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 32, 3)
        self.c2 = torch.nn.Conv2d(32, 64, 3)
        self.d1 = torch.nn.Linear(5 * 5 * 64, 128)
        self.d2 = torch.nn.Linear(128, 10)
        self.drop = torch.nn.Dropout(dropout)
        with torch.no_grad():
            for layer, spec in zip([self.c1, self.c2], w[:2]):
                k = np.asarray(spec["kernel"], dtype=np.float32).reshape(spec["shape"])  # [kh, kw, cin, cout]
                layer.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
                layer.bias.copy_(torch.tensor(spec["bias"], dtype=torch.float32))
            for layer, spec in zip([self.d1, self.d2], w[2:]):
                k = np.asarray(spec["kernel"], dtype=np.float32).reshape(spec["shape"])  # [in, out]
                layer.weight.copy_(torch.from_numpy(k.T.copy()))
                layer.bias.copy_(torch.tensor(spec["bias"], dtype=torch.float32))

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.nn.functional.max_pool2d(torch.relu(self.c2(x)), 2)
        x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC order, like tfjs' flatten
        return self.d2(self.drop(torch.relu(self.d1(x))))


def main():
    spec, x, y, perms = load_spec(a.spec, lambda spec: (1, 28, 28))
    models = {}
    # Debian's torch is built with BLAS_INFO=generic: it uses whatever libblas.so.3 the system selects.
    m = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    lib = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    blas = f"BLAS {m.group(1) if m else 'unknown'} -> {os.path.basename(os.path.dirname(lib))}/{os.path.basename(lib)}"
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas}), flush=True)

    def answer(cmd):
        key = cmd["key"]
        if key not in models:
            torch.manual_seed(0)
            m = Net(spec["weights"], spec["dropout"])
            models[key] = (m, torch.optim.Adam(m.parameters(), lr=spec["lr"]))
        m, opt = models[key]
        ms, loss = epoch(m, opt, x, y, perms[int(cmd["perm"]) % len(perms)], int(cmd["batch"]))
        return {"ms": ms, "loss": loss}

    serve(answer)


main()
