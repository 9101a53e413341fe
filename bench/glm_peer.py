# scikit-learn peer for bench/glm.mjs, one JSON request per line: builds the
# benchmark's data sets (written as raw float64 for the JavaScript side, so
# both fit the same numbers) and times Lasso fits and lasso_path in CPU time.
import json, sys, time

try:
    import numpy as np
    import sklearn
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import Lasso, lasso_path
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

sets = {}

def make(name):
    """The data set `name`: X (n×p, C order) and y."""
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.float64)
    rs = np.random.RandomState(0)
    n, p = 10000, 1000
    Z = rs.randn(n, p)
    if name == "ar1":  # columns an AR(1) process, ρ = 0.9: neighbours correlated 0.9
        X = np.empty_like(Z)
        X[:, 0] = Z[:, 0]
        for j in range(1, p):
            X[:, j] = 0.9 * X[:, j - 1] + np.sqrt(1 - 0.81) * Z[:, j]
    else:
        X = Z
    w = np.zeros(p)
    w[::20] = 2 * rs.randn(p // 20)
    return X, X @ w + rs.randn(n)

def cpu(f):
    t0 = time.process_time()
    r = f()
    return (time.process_time() - t0) * 1e6, r

for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "hello":
        print(json.dumps({"ok": True, "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__}}), flush=True)
    elif op == "data":
        X, y = make(msg["name"])
        sets[msg["name"]] = (X, y)
        X.tofile(msg["out"] + ".X")
        y.tofile(msg["out"] + ".y")
        print(json.dumps({"n": X.shape[0], "p": X.shape[1]}), flush=True)
    elif op == "lasso":
        X, y = sets[msg["name"]]
        us, m = cpu(lambda: Lasso(alpha=msg["alpha"], tol=msg["tol"]).fit(X, y))
        n = len(y)
        r = y - X @ m.coef_ - m.intercept_
        obj = r @ r / (2 * n) + msg["alpha"] * np.abs(m.coef_).sum()
        print(json.dumps({"us": us, "sweeps": int(m.n_iter_), "objective": float(obj), "gap": float(m.dual_gap_)}), flush=True)
    elif op == "path":
        X, y = sets[msg["name"]]
        us, (alphas, coefs, gaps, iters) = cpu(lambda: lasso_path(X, y, n_alphas=msg["n"], tol=msg["tol"], return_n_iter=True))
        n = len(y)
        r = y - X @ coefs[:, -1]
        obj = r @ r / (2 * n) + alphas[-1] * np.abs(coefs[:, -1]).sum()
        print(json.dumps({"us": us, "sweeps": int(np.sum(iters)), "objective": float(obj), "nonzero": int((coefs[:, -1] != 0).sum())}), flush=True)
