# NumPy/SciPy peer for bench/sketch.mjs: builds the same test problem and times
# numpy.linalg.lstsq (LAPACK gelsd), scipy.linalg.lstsq (gelsy) and
# numpy.linalg.qr(mode="r") (dgeqrf) on request.
import json, sys, time

try:
    import numpy as np
    import scipy, scipy.linalg
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

def hashes(k):
    """murmur3's finaliser of each k, in [-0.5, 0.5): as hash() in bench/sketch.mjs."""
    h = k.astype(np.uint64) & 0xFFFFFFFF
    h ^= h >> 16; h = (h * 0x85EBCA6B) & 0xFFFFFFFF; h ^= h >> 13; h = (h * 0xC2B2AE35) & 0xFFFFFFFF; h ^= h >> 16
    return h.astype(np.float64) / 2**32 - 0.5

prob = {}
for line in sys.stdin:
    msg = json.loads(line)
    if msg["op"] == "hello":
        print(json.dumps({"ok": True, "versions": {"numpy": np.__version__, "scipy": scipy.__version__}}), flush=True)
    elif msg["op"] == "setup":
        m, n, cond = msg["m"], msg["n"], msg["cond"]
        A = hashes(np.arange(m * n)).reshape(m, n) * cond ** (-np.arange(n) / max(1, n - 1))
        b = hashes(np.arange(m * n, m * n + m))
        prob.update(A=A, b=b)
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        print(json.dumps({"ok": True, "res": float(np.linalg.norm(b - A @ x))}), flush=True)
    else:
        t0 = time.perf_counter()
        if msg["op"] == "numpy":
            np.linalg.lstsq(prob["A"], prob["b"], rcond=None)
        elif msg["op"] == "qr":
            np.linalg.qr(prob["A"], mode="r")
        else:
            scipy.linalg.lstsq(prob["A"], prob["b"], lapack_driver="gelsy", check_finite=False)
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
