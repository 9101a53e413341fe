# SciPy peer for bench/krylov.mjs: times scipy.sparse.linalg.cg on request
# (one JSON request per line), on the same matrices and right-hand sides.
import json, sys, time

try:
    import numpy as np
    import scipy, scipy.io, scipy.sparse as sp, scipy.sparse.linalg as sl
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

def lap3d(k):
    one = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))
    eye = sp.identity(k)
    return (sp.kron(sp.kron(one, eye), eye) + sp.kron(sp.kron(eye, one), eye) + sp.kron(sp.kron(eye, eye), one)).tocsr()

problem = {}

def cg(A, b, rtol, M):
    it = [0]
    def cb(xk): it[0] += 1
    try:
        x, info = sl.cg(A, b, rtol=rtol, atol=0.0, maxiter=100000, M=M, callback=cb)
    except TypeError:  # SciPy < 1.12 calls rtol "tol"
        x, info = sl.cg(A, b, tol=rtol, atol=0.0, maxiter=100000, M=M, callback=cb)
    return it[0]

for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "hello":
        print(json.dumps({"ok": True, "versions": {"numpy": np.__version__, "scipy": scipy.__version__}}), flush=True)
    elif op == "setup":
        A = scipy.io.mmread(msg["path"]).tocsr() if "path" in msg else lap3d(msg["k"])
        b = A @ np.ones(A.shape[0])
        M = sp.diags(1.0 / A.diagonal()) if msg.get("jacobi") else None
        problem.update(A=A, b=b, M=M, rtol=msg["rtol"])
        print(json.dumps({"ok": True, "iterations": cg(A, b, msg["rtol"], M)}), flush=True)
    else:  # time one solve
        t0 = time.perf_counter()
        cg(problem["A"], problem["b"], problem["rtol"], problem["M"])
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
