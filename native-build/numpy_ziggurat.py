"""Write java/policyzip/env/numpy-ziggurat.txt: numpy's ziggurat tables for Generator.standard_normal.

numpy 2.x draws standard normals with a 256-layer ziggurat whose tables (ki_double, wi_double, fi_double in
numpy/random/src/distributions/ziggurat_constants.h) are compiled into numpy/random/_generator*.so and not exposed
to Python. policyzip.env.NumpyRandom.standardNormal needs them bit for bit (HalfCheetah-v5's reset draws
0.1 * standard_normal(9)), so this script finds them in the installed numpy's binary by their known anchor values,
checks them by re-implementing standard_normal in Python and comparing 200,000 draws with numpy's, and only then
writes them (one line per layer: ki as hex, wi and fi as hex floats). Run from the repository root:

    python3 -m pip install numpy==2.4.6
    python3 native-build/numpy_ziggurat.py
"""

import glob
import math
import os
import struct
import sys

import numpy as np
from numpy.random import PCG64

R = 3.6541528853610087963519472518  # ziggurat_nor_r
INV_R = 0.27366123732975827203338247596  # ziggurat_nor_inv_r
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "java", "policyzip", "env", "numpy-ziggurat.txt")


def tables():
    so = glob.glob(os.path.join(os.path.dirname(np.__file__), "random", "_generator*.so"))[0]
    data = open(so, "rb").read()
    k0 = data.find(struct.pack("<QQ", 0x000EF33D8025EF6A, 0))  # ki_double[0], ki_double[1]
    w_last = data.find(struct.pack("<d", R / 2.0**52))  # wi_double[255] = r / 2^52
    f_last = data.find(struct.pack("<d", math.exp(-0.5 * R * R)))  # fi_double[255]
    if min(k0, w_last, f_last) < 0:
        sys.exit("cannot find the ziggurat tables in " + so)
    ki = struct.unpack("<256Q", data[k0:k0 + 2048])
    wi = struct.unpack("<256d", data[w_last + 8 - 2048:w_last + 8])
    fi = struct.unpack("<256d", data[f_last + 8 - 2048:f_last + 8])
    return ki, wi, fi


def standard_normal(bg, ki, wi, fi):
    """numpy's random_standard_normal (distributions.c), line for line."""
    while True:
        r = bg.random_raw()
        idx = r & 0xFF
        r >>= 8
        sign = r & 1
        rabs = (r >> 1) & 0x000FFFFFFFFFFFFF
        x = rabs * wi[idx]
        if sign:
            x = -x
        if rabs < ki[idx]:
            return x
        if idx == 0:
            while True:
                xx = -INV_R * math.log1p(-(bg.random_raw() >> 11) * 2.0**-53)
                yy = -math.log1p(-(bg.random_raw() >> 11) * 2.0**-53)
                if yy + yy > xx * xx:
                    return -(R + xx) if (rabs >> 8) & 1 else R + xx
        elif (fi[idx - 1] - fi[idx]) * ((bg.random_raw() >> 11) * 2.0**-53) + fi[idx] < math.exp(-0.5 * x * x):
            return x


def main():
    ki, wi, fi = tables()
    for seed in range(2000):
        ref = np.random.Generator(PCG64(seed)).standard_normal(100)
        bg = PCG64(seed)
        mine = [standard_normal(bg, ki, wi, fi) for _ in range(100)]
        if list(ref) != mine:
            sys.exit(f"tables found but standard_normal differs from numpy {np.__version__} for seed {seed}")
    with open(OUT, "w") as f:
        f.write(f"# numpy {np.__version__} ziggurat tables (ki_double wi_double fi_double), written by native-build/numpy_ziggurat.py\n")
        for k, w, x in zip(ki, wi, fi):
            f.write(f"{k:#018x} {w.hex()} {x.hex()}\n")
    print("wrote", os.path.normpath(OUT), "(checked against 200,000 draws of numpy", np.__version__ + ")")


if __name__ == "__main__":
    main()
