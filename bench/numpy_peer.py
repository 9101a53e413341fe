# NumPy peer for bench/blas.mjs: a long-lived process answering one JSON
# request per line, timing NumPy's own BLAS-backed calls on its own arrays.
# Replies are {"us": median µs per call} so the JS side can interleave it.
import json, sys, time

try:
    import numpy as np
    import scipy
    import scipy.sparse as sp
    import scipy.linalg.blas as sl_blas
except Exception as e:  # reported by bench/lib.mjs, which then skips the peer
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

arrays = {}

def setup(msg):
    n, kind = msg["n"], msg["kind"]
    rng = np.random.default_rng(1)
    if kind == "gemv":
        m = msg["m"]
        arrays["A"] = rng.random((m, n)); arrays["x"] = rng.random(n); arrays["xt"] = rng.random(m)
    elif kind == "level3":
        arrays["A"] = rng.random((n, n)); arrays["B"] = rng.random((n, n))
        arrays["T"] = np.asfortranarray(np.tril(rng.random((n, n))) + n * np.eye(n))
    elif kind == "spmv":
        A = sp.csr_matrix((np.array(msg["data"]), np.array(msg["indices"]), np.array(msg["indptr"])), shape=(msg["rows"], msg["cols"]))
        arrays["S"] = A; arrays["x"] = np.ones(msg["cols"])
    else:
        arrays["x"] = rng.random(n); arrays["y"] = rng.random(n); arrays["z"] = np.empty(n)

def op(name):
    a = arrays
    return {
        "dot": lambda: np.dot(a["x"], a["y"]),
        "nrm2": lambda: np.linalg.norm(a["x"]),
        # y ← αx + y in place, as BLAS daxpy does; NumPy needs a temporary for αx.
        "axpy": lambda: np.add(np.multiply(a["x"], 1e-9, out=a["z"]), a["y"], out=a["y"]),
        "scal": lambda: np.multiply(a["x"], 1.0000001, out=a["x"]),
        "copy": lambda: np.copyto(a["z"], a["x"]),
        "gemv": lambda: a["A"] @ a["x"],
        "gemvT": lambda: a["A"].T @ a["xt"],
        "spmv": lambda: a["S"] @ a["x"],
        "gemm": lambda: a["A"] @ a["B"],
        "syrk": lambda: sl_blas.dsyrk(1.0, a["A"], trans=1, lower=1),
        "trsm": lambda: sl_blas.dtrsm(1.0, a["T"], a["B"], lower=1),
    }[name]

def timeit(fn, ms):
    k = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(k): fn()
        dt = time.perf_counter() - t0
        if dt * 1e3 >= ms or k >= 1 << 20: return dt * 1e6 / k
        k *= 2

for line in sys.stdin:
    msg = json.loads(line)
    if msg["op"] == "hello":
        print(json.dumps({"ok": True, "versions": {"numpy": np.__version__, "scipy": scipy.__version__}}), flush=True)
    elif msg["op"] == "setup":
        setup(msg); print(json.dumps({"ok": True}), flush=True)
    else:
        print(json.dumps({"us": timeit(op(msg["op"]), msg.get("ms", 4))}), flush=True)
