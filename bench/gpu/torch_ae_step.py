#!/usr/bin/env python3
"""PyTorch yardstick for the autoencoder training step on the GPU (issue 8): the step policyzip's ae-medium, ae-large
and ae-large-512 workloads time (Workloads.AeStep / TrainStep), float32 with TF32 off, eager PyTorch, timed with CUDA
events after a warm-up; prints steps/s per size (median of the repetitions). Run on the GPU machine:
    python3 bench/gpu/torch_ae_step.py [--reps 30] [--json out.json]
One step, as in policyzip: B policy parameter vectors θ [B, P] drawn on the device (uniform in ±1/sqrt(fan_in) per
layer, like PolicyZip's prior), standardised (θ − μ)/σ, encoder P-256-256-K and decoder K-256-256-P (ReLU hidden,
linear latent and output), de-standardised; both policies' actions on M = 256 shared MountainCar states
(policy layers as baddbmm on the decoded θ' viewed [B, out, in], hidden ReLU, output tanh); the mean squared error;
backward; Adam (lr 1e-3); loss.item() (policyzip also reads the loss back every step)."""
import argparse, json, statistics, sys, time
import torch

SIZES = [  # name, policy hidden, K, B, M: Workloads "ae-medium", "ae-large", "ae-large-512"
    ("ae-medium", [32, 32], 2, 128, 256),
    ("ae-large", [400, 300], 1, 64, 256),
    ("ae-large-512", [400, 300], 1, 512, 256),
]
OBS, ACT = 2, 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--json", default=None)
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu (wall-clock timing; a check of the script)")
    ap.add_argument("--sizes", default=",".join(s[0] for s in SIZES), help="comma-separated subset of the sizes")
    a = ap.parse_args()
    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_ae_step: no CUDA device visible to PyTorch", file=sys.stderr)
        sys.exit(2)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    where = torch.cuda.get_device_name(0) if cuda else f"CPU, {torch.get_num_threads()} threads"
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {where}, TF32 off, float32, eager")
    results = []
    for name, hidden, k, B, M in SIZES:
        if name not in a.sizes.split(","):
            continue
        sizes = [OBS] + hidden + [ACT]
        layers = list(zip(sizes[:-1], sizes[1:]))          # (in, out)
        P = sum(i * o + o for i, o in layers)
        g = torch.Generator(device=dev).manual_seed(7)
        bounds = torch.cat([torch.full((i * o + o,), 1.0 / i ** 0.5, device=dev) for i, o in layers])
        mu = torch.zeros(P, device=dev)
        sigma = bounds / 3 ** 0.5                           # the std of the prior, as the ae workloads use
        enc = torch.nn.Sequential(torch.nn.Linear(P, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                  torch.nn.Linear(256, k)).to(dev)
        dec = torch.nn.Sequential(torch.nn.Linear(k, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                  torch.nn.Linear(256, P)).to(dev)
        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
        states = torch.rand(M, OBS, device=dev, generator=g) * 2 - 1
        X0 = states.t().unsqueeze(0).expand(B, OBS, M)
        theta = torch.empty(B, P, device=dev)

        def policy(th):
            x, off = X0, 0
            for l, (i, o) in enumerate(layers):
                W = th[:, off:off + o * i].view(B, o, i)
                b = th[:, off + o * i:off + o * i + o].unsqueeze(2)
                off += o * i + o
                z = torch.baddbmm(b, W, x)
                x = torch.tanh(z) if l == len(layers) - 1 else torch.relu(z)
            return x

        def step():
            torch.rand(B, P, device=dev, generator=g, out=theta)
            th = (theta * 2 - 1) * bounds
            with torch.no_grad():
                target = policy(th)
            u = dec(enc((th - mu) / sigma))
            pred = policy(mu + sigma * u)
            loss = torch.mean((pred - target) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        for _ in range(5):
            step()
        if cuda:
            torch.cuda.synchronize()
        times = []
        for _ in range(a.reps):
            if cuda:
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record()
                step()
                e.record()
                torch.cuda.synchronize()
                times.append(s.elapsed_time(e) / 1e3)
            else:
                t0 = time.perf_counter()
                step()
                times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        results.append({"name": name, "B": B, "M": M, "K": k, "P": P, "policy": sizes, "median_s": t, "min_s": min(times),
                        "max_s": max(times), "steps_per_s": 1 / t, "reps": a.reps})
        print(f"{name:14s} B={B:4d} M={M} K={k} P={P:6d} median {t*1e3:8.3f} ms  {1/t:9.1f} steps/s "
              f"(min {min(times)*1e3:.3f} ms, max {max(times)*1e3:.3f} ms)")
        del enc, dec, opt, theta
        if cuda:
            torch.cuda.empty_cache()
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "torch": torch.__version__,
                       "device": where, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
