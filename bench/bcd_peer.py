# scikit-learn peer for bench/bcd.mjs: fits Lasso (fit_intercept=False) on
# request, one JSON request per line, on data the JS side names or sends.
import json, sys, time

try:
    import numpy as np
    import sklearn
    from sklearn.linear_model import Lasso
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

data = {}
for line in sys.stdin:
    msg = json.loads(line)
    if msg["op"] == "hello":
        print(json.dumps({"ok": True, "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__}}), flush=True)
    elif msg["op"] == "setup":
        if "csv" in msg:
            d = np.loadtxt(msg["csv"], delimiter=",", skiprows=1)
            A, b = d[:, :-1], d[:, -1]
        else:  # the synthetic problem, built the same way as in bench/bcd.mjs
            n, p = msg["n"], msg["p"]
            i = np.arange(n * p, dtype=np.float64)
            A = np.sin(i * 1.3 + 0.2).reshape(n, p)
            b = A[:, ::7].sum(axis=1) + 0.1 * np.cos(np.arange(n) * 0.7)
        data.update(A=np.asfortranarray(A), b=b, lam=msg["lambda"], tol=msg["tol"])
        m = Lasso(alpha=data["lam"], fit_intercept=False, tol=data["tol"], max_iter=100000).fit(data["A"], data["b"])
        print(json.dumps({"ok": True, "iterations": int(m.n_iter_)}), flush=True)
    else:
        t0 = time.perf_counter()
        Lasso(alpha=data["lam"], fit_intercept=False, tol=data["tol"], max_iter=100000).fit(data["A"], data["b"])
        print(json.dumps({"us": (time.perf_counter() - t0) * 1e6}), flush=True)
