"""PyTorch twin of the training benchmark (bench/training.ts): the chapter MLP on digits.

Worker mode (what `npm run bench` uses):
    /usr/bin/python3 bench/torch_mlp.py --spec SPEC.json
SPEC.json (written by bench/training.ts) holds the data (x: n*64 floats
already scaled to [0, 1], labels), the layer sizes, dropout rate, L2 alpha,
learning rate, the tfjs model's INITIAL weights (dense kernels [in, out]
row-major + biases) and the per-epoch row permutations. The worker prints
one JSON line {"ready": true, "threads": N, "torch": version, "blas": {...}}
(which BLAS library the process really loaded, see blas_info), then answers
each stdin line {"key": K, "batch": B, "perm": k, "threads": T} with one epoch
of training at T threads (a model per key and thread count, created from the
initial weights on first use, its Adam state kept across epochs) over the
rows in permutation k, and prints {"ms": epoch time, "loss": mean batch loss};
and {"matmul": T} with {"gflops": G}, a 1024x1024 float32 matmul at T threads. So PyTorch sees the same initial
weights and the same batches, in the same order, as tfjs; only dropout masks
differ. Epochs are driven one at a time so the benchmark can interleave them
with the tfjs contenders.

Conventions: L2 as the book's alpha/2 ||w||^2 on weights only (not biases);
its gradient alpha*w is what Adam's coupled `weight_decay=alpha` adds, the
same as reglab's `penalty: l2(alpha)` and tfjs `l2({l2: alpha/2})`.
CrossEntropyLoss on logits = softmax + categorical cross-entropy.
Threads: T sets both PyTorch's intra-op threads and OpenBLAS's own pool
(openblas_set_num_threads; OpenBLAS otherwise uses every core whatever
torch.get_num_threads() says). Standalone: PyTorch's default, or --threads.

Standalone: /usr/bin/python3 bench/torch_mlp.py --batch 64 --epochs 5
(random init and shuffles; prints {"msPerEpoch": [...], "threads": N, "torch": version}).
"""
import argparse, ctypes, gzip, json, os, subprocess, time

import numpy as np
import torch

from torch_common import epoch, load_spec, serve

p = argparse.ArgumentParser()
p.add_argument("--spec", help="JSON spec from bench/training.ts; worker mode")
p.add_argument("--batch", type=int, default=64)
p.add_argument("--epochs", type=int, default=5)
p.add_argument("--threads", type=int, default=0, help="0 = PyTorch default")
p.add_argument("--matmul", type=int, default=0, help="print the 1024^2 matmul GFLOP/s at this many threads and exit")
p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data", "digits", "digits.csv.gz"))
a = p.parse_args()


def loaded_blas():
    """Paths of the BLAS-like shared libraries this process has mapped (after a matmul loaded them)."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            name = os.path.basename(path).lower()
            if path.startswith("/") and any(k in name for k in ("blas", "mkl", "blis")):
                libs.add(os.path.realpath(path))
    return sorted(libs)


def openblas():
    """ctypes handle on the loaded OpenBLAS, or None."""
    for path in loaded_blas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_get_config"):
            return lib
    return None


OPENBLAS = openblas()


def set_threads(n):
    torch.set_num_threads(n)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(n)


def blas_info():
    """What BLAS PyTorch really calls. Debian's python3-torch is built with BLAS_INFO=generic and
    uses whatever libblas.so.3 the alternatives system selects: the reference (netlib) BLAS is
    ~25x slower than OpenBLAS on a 1024^2 matmul, which would make any ratio to PyTorch meaningless."""
    libs = loaded_blas()
    info = {"libraries": libs, "env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}}
    m = [l for l in torch.__config__.show().split(",") if "BLAS_INFO" in l]
    info["torchBlasInfo"] = m[0].split("=")[-1].strip() if m else "unknown"
    try:
        q = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"], capture_output=True, text=True, timeout=10)
        v = [l.split(":", 1)[1].strip() for l in q.stdout.splitlines() if l.startswith("Value:")]
        info["alternative"] = v[0] if v else None
    except (OSError, subprocess.TimeoutExpired) as e:
        info["alternative"] = f"unknown ({e})"
    try:
        import threadpoolctl  # optional; not a Debian dependency of torch
        info["threadpoolctl"] = threadpoolctl.threadpool_info()
    except ImportError:
        pass
    if OPENBLAS is not None:
        for fn in ("openblas_get_config", "openblas_get_corename"):
            getattr(OPENBLAS, fn).restype = ctypes.c_char_p
        info["kind"] = "openblas"
        info["name"] = f"{OPENBLAS.openblas_get_config().decode()} (core {OPENBLAS.openblas_get_corename().decode()})"
    elif any("mkl" in os.path.basename(l) for l in libs):
        info["kind"], info["name"] = "mkl", "Intel MKL"
    elif any("blis" in os.path.basename(l) for l in libs):
        info["kind"], info["name"] = "blis", "BLIS"
    elif any(os.path.basename(l).startswith("libblas.so") for l in libs):
        # Debian's netlib reference BLAS (libblas3): /usr/lib/<triplet>/blas/libblas.so.3.
        info["kind"], info["name"] = "reference", "reference BLAS (netlib libblas3, unoptimised)"
    else:
        info["kind"], info["name"] = "unknown", "no BLAS library found mapped"
    return info


def matmul_gflops(threads, size=1024, reps=5):
    """Best of `reps` float32 size x size matmuls at `threads` threads, in GFLOP/s (2 n^3 flops)."""
    set_threads(threads)
    x, y = torch.randn(size, size), torch.randn(size, size)
    x @ y
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        x @ y
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


if a.threads:
    set_threads(a.threads)


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


def worker(spec_path):
    spec, x, y, perms = load_spec(spec_path, lambda spec: (spec["sizes"][0],))
    models = {}
    default_threads = torch.get_num_threads()
    print(json.dumps({"ready": True, "threads": default_threads, "torch": torch.__version__, "blas": blas_info()}), flush=True)

    def answer(cmd):
        if "matmul" in cmd:
            return {"gflops": matmul_gflops(int(cmd["matmul"]))}
        threads = int(cmd.get("threads", default_threads))
        set_threads(threads)
        b = int(cmd["batch"])
        key = f'{cmd.get("key", str(b))}/t{threads}'
        if key not in models:
            torch.manual_seed(spec.get("seed", 0))
            m = build(spec["sizes"], spec["dropout"], spec["weights"])
            models[key] = (m, optimizer(m, spec["l2"], spec["lr"]))
        m, opt = models[key]
        ms, loss = epoch(m, opt, x, y, perms[int(cmd["perm"]) % len(perms)], b)
        return {"ms": ms, "loss": loss}

    serve(answer)


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


if a.matmul:
    print(json.dumps({"gflops": matmul_gflops(a.matmul), "blas": blas_info()["name"]}))
elif a.spec:
    worker(a.spec)
else:
    standalone()
