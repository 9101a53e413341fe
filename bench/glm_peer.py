# scikit-learn peer for bench/glm.mjs, one JSON request per line: builds the
# benchmark's data sets (written as raw float64 for the JavaScript side, so
# both fit the same numbers) and times Lasso fits and lasso_path in CPU time.
import json, resource, sys, time

try:
    import numpy as np
    import sklearn
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import Lasso, lasso_path
except Exception as e:
    print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
    sys.exit(0)

sets = {}

def sparse_text(n, p, density, seed=0):
    """A text-like CSR design: n×p, `density` of it nonzero (uniform positions, values 1 + Exp(1)), y from 100 columns plus noise."""
    import scipy.sparse as sp
    rs = np.random.RandomState(seed)
    k = int(density * n * p)  # positions drawn with replacement (sp.random would draw from all n·p cells); repeats summed
    X = sp.csr_matrix((1 + rs.exponential(size=k), (rs.randint(0, n, k), rs.randint(0, p, k))), shape=(n, p))
    X.sum_duplicates()
    w = np.zeros(p)
    w[rs.choice(p, 100, replace=False)] = rs.randn(100)
    return X, X @ w + 0.1 * rs.randn(n)

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
    elif op == "sparse_data":
        X, y = sparse_text(msg["n"], msg["p"], msg["density"])
        sets["sparse"] = (X, y)
        X.indptr.astype(np.int32).tofile(msg["out"] + ".indptr")
        X.indices.astype(np.int32).tofile(msg["out"] + ".indices")
        X.data.tofile(msg["out"] + ".data")
        y.tofile(msg["out"] + ".y")
        print(json.dumps({"n": X.shape[0], "p": X.shape[1], "nnz": int(X.nnz)}), flush=True)
    elif op == "sparse_path":
        X, y = sets["sparse"]
        us, (alphas, coefs, gaps, iters) = cpu(lambda: lasso_path(X, y, n_alphas=msg["n"], eps=msg["eps"], tol=msg["tol"], return_n_iter=True))
        n = len(y)
        r = y - X @ coefs[:, -1]
        obj = r @ r / (2 * n) + alphas[-1] * np.abs(coefs[:, -1]).sum()
        print(json.dumps({"us": us, "sweeps": int(np.sum(iters)), "objective": float(obj), "nonzero": int((coefs[:, -1] != 0).sum()),
                          "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
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
