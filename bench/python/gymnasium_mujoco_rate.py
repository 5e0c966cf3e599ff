"""Gymnasium's own single-env step rate for the MuJoCo v5 envs: the yardstick for PolicyZip's env-<env> workloads.

One env at a time, uniform random actions pre-drawn as float32, reset on termination or truncation (as a training
loop does), timed for SECONDS after a warm-up; reports the median of REPS repetitions in env-steps/s. Also times the
same model's bare `mujoco.mj_step(m, d, nstep=frame_skip)` loop from Python for reference. Run on one core:

    python3 -m pip install gymnasium==1.3.0 mujoco==3.14.0 imageio packaging
    taskset -c 0 python3 bench/python/gymnasium_mujoco_rate.py
"""

import json
import statistics
import sys
import time

import gymnasium as gym
import mujoco
import numpy as np

ENVS = ["Reacher-v5", "Hopper-v5", "HalfCheetah-v5", "InvertedPendulum-v5", "Swimmer-v5"]
REPS, SECONDS = 5, 1.0


def rate(env_id):
    env = gym.make(env_id)
    rng = np.random.default_rng(3)
    actions = rng.uniform(env.action_space.low, env.action_space.high, (4096,) + env.action_space.shape).astype(np.float32)
    env.reset(seed=0)
    results = []
    for rep in range(REPS + 1):  # the first repetition is the warm-up
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < SECONDS:
            for _ in range(256):
                _, _, term, trunc, _ = env.step(actions[steps % 4096])
                steps += 1
                if term or trunc:
                    env.reset()
        if rep:
            results.append(steps / (time.perf_counter() - t0))
    env.close()
    return statistics.median(results)


def mj_rate(env_id):
    env = gym.make(env_id).unwrapped
    m, d, skip = env.model, env.data, env.frame_skip
    results = []
    for rep in range(REPS + 1):
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < SECONDS:
            for _ in range(256):
                mujoco.mj_step(m, d, nstep=skip)
                steps += 1
        if rep:
            results.append(steps / (time.perf_counter() - t0))
    return statistics.median(results)


def main():
    out = {"gymnasium": gym.__version__, "mujoco": mujoco.__version__, "python": sys.version.split()[0], "envs": {}}
    print(f"{'env':22s} {'gymnasium env-steps/s':>22s} {'python mj_step x frame_skip /s':>31s}")
    for env_id in ENVS:
        r, raw = rate(env_id), mj_rate(env_id)
        out["envs"][env_id] = {"env_steps_per_s": r, "bare_mj_step_env_steps_per_s": raw}
        print(f"{env_id:22s} {r:22.0f} {raw:31.0f}")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
