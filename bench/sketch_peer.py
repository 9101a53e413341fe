# NumPy/SciPy peer for bench/sketch.mjs: builds the same test problem and times
# numpy.linalg.lstsq (LAPACK gelsd), scipy.linalg.lstsq (gelsy) and
# numpy.linalg.qr(mode="r") (dgeqrf) on request; for the sparse problem,
# scipy.sparse.linalg.lsqr / lsmr; all in process CPU time.
import json, sys, time

try:
    import numpy as np
    import scipy, scipy.linalg, scipy.sparse
    from scipy.sparse.linalg import lsqr, lsmr
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
    elif msg["op"] == "setup_sparse":
        # As sparseProblem() in bench/sketch.mjs: row i has one nonzero in each of
        # k column blocks of n/k, at hash(i·k + t) within block t; values hashed, columns graded.
        m, n, k, cond = msg["m"], msg["n"], msg["k"], msg["cond"]
        ids = np.arange(m * k)
        cols = (np.floor((hashes(ids) + 0.5) * (n // k)).astype(np.int64) + (ids % k) * (n // k)).astype(np.int32)
        vals = hashes(ids + m * k) * cond ** (-cols / max(1, n - 1))
        A = scipy.sparse.csr_matrix((vals, cols, np.arange(0, m * k + 1, k)), shape=(m, n))
        b = hashes(np.arange(2 * m * k, 2 * m * k + m))
        prob.update(A=A, b=b)
        print(json.dumps({"ok": True}), flush=True)
    elif msg["op"] in ("lsqr", "lsmr"):
        A, b = prob["A"], prob["b"]
        t0 = time.process_time()
        r = lsqr(A, b, atol=msg["tol"], btol=msg["tol"], iter_lim=msg["maxiter"]) if msg["op"] == "lsqr" else lsmr(A, b, atol=msg["tol"], btol=msg["tol"], maxiter=msg["maxiter"])
        us = (time.process_time() - t0) * 1e6
        x = r[0]; res = b - A @ x
        fro = float(np.sqrt((A.data ** 2).sum())); rn = float(np.linalg.norm(res))
        print(json.dumps({"us": us, "iterations": int(r[2]), "res": rn, "normal": float(np.linalg.norm(A.T @ res) / (fro * rn))}), flush=True)
    elif msg["op"] == "setup":
        m, n, cond = msg["m"], msg["n"], msg["cond"]
        A = hashes(np.arange(m * n)).reshape(m, n) * cond ** (-np.arange(n) / max(1, n - 1))
        b = hashes(np.arange(m * n, m * n + m))
        prob.update(A=A, b=b)
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        print(json.dumps({"ok": True, "res": float(np.linalg.norm(b - A @ x))}), flush=True)
    else:
        t0 = time.process_time()
        if msg["op"] == "numpy":
            np.linalg.lstsq(prob["A"], prob["b"], rcond=None)
        elif msg["op"] == "qr":
            np.linalg.qr(prob["A"], mode="r")
        else:
            scipy.linalg.lstsq(prob["A"], prob["b"], lapack_driver="gelsy", check_finite=False)
        print(json.dumps({"us": (time.process_time() - t0) * 1e6}), flush=True)
