#!/usr/bin/env python3
"""PyTorch yardstick for the GPU forward workloads (issue 7): the same B policies × M shared states as
policyzip's gpu-fwd-small/medium/large, in the torch.bmm formulation, float32 (TF32 off), timed with CUDA events
after a warm-up; prints evals/s and GFLOP/s per size (median of the repetitions). Run on the GPU machine:
    python3 bench/gpu/torch_forward.py [--reps 20]
Per layer: H = act(baddbmm(b[:, :, None], W [B, out, in], X [B, in, M])); the shared states are expanded to
[B, O, M] (a stride-0 view); output scale·tanh. Weights uniform in ±1/sqrt(in) like PolicyZip's prior (values do
not affect the timing)."""
import argparse, json, statistics, sys, time
import torch

SIZES = [  # name, hidden, B, M: Workloads.gpuNames()
    ("gpu-fwd-small", [4], 65536, 1024),
    ("gpu-fwd-medium", [32, 32], 16384, 1024),
    ("gpu-fwd-large", [400, 300], 1024, 1024),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_forward: no CUDA device visible to PyTorch", file=sys.stderr)
        sys.exit(2)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}, TF32 off, float32")
    results = []
    for name, hidden, B, M in SIZES:
        sizes = [2] + hidden + [1]
        g = torch.Generator(device=dev).manual_seed(7)
        Ws, bs = [], []
        for i, o in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / i ** 0.5
            Ws.append((torch.rand(B, o, i, device=dev, generator=g) * 2 - 1) * bound)
            bs.append((torch.rand(B, o, 1, device=dev, generator=g) * 2 - 1) * bound)
        states = torch.rand(M, 2, device=dev, generator=g) * 2 - 1
        X0 = states.t().unsqueeze(0).expand(B, 2, M)

        def forward():
            x = X0
            for l, (W, b) in enumerate(zip(Ws, bs)):
                z = torch.baddbmm(b, W, x)
                x = torch.tanh(z) if l == len(Ws) - 1 else torch.relu(z)
            return x

        with torch.no_grad():
            for _ in range(3):
                forward()
            torch.cuda.synchronize()
            times = []
            for _ in range(a.reps):
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                forward()
                e.record()
                torch.cuda.synchronize()
                times.append(s.elapsed_time(e) / 1e3)
        macs = sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))
        t = statistics.median(times)
        evals = B * M / t
        gflops = 2.0 * macs * B * M / t / 1e9
        results.append({"name": name, "B": B, "M": M, "sizes": sizes, "median_s": t, "min_s": min(times),
                        "max_s": max(times), "evals_per_s": evals, "gflops": gflops, "reps": a.reps})
        print(f"{name:16s} B={B:6d} M={M:5d} {'-'.join(map(str, sizes)):12s} median {t*1e3:9.3f} ms "
              f"{evals:10.4g} evals/s {gflops:9.1f} GFLOP/s")
        del Ws, bs
        torch.cuda.empty_cache()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "torch": torch.__version__,
                       "device": torch.cuda.get_device_name(0), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
