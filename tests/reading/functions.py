"""Functions in the styles real code uses: if/elif chains, fill loops, masks, steps."""
import numpy as np
import torch


def minmod(a, b):
    if a * b <= 0.0:
        return 0.0
    elif abs(a) < abs(b):
        return a
    else:
        return b


def median3(a, b, c):
    if a <= b <= c or c <= b <= a:
        return b
    elif b <= a <= c or c <= a <= b:
        return a
    else:
        return c


def superbee(r):
    if r < 0:
        phi = 0
    elif r >= 0 and r < 0.5:
        phi = 2 * r
    elif r >= 0.5 and r < 1:
        phi = 1
    elif r >= 1 and r < 2:
        phi = r
    else:
        phi = 2
    return phi


def upwind_fill(u: "float[5]", c):
    phi = np.zeros(5)
    phi[1:-1] = np.maximum(u[1:-1] - u[:-2], 0) * c
    phi[0] = u[0]
    phi[-1] += u[-1]
    return phi


def neighbour_max(u: "float[4]"):
    nf = np.empty(len(u) - 1)
    for i in range(len(u) - 1):
        nf[i] = max(u[i], u[i + 1])
    return nf


def relu_mask(x: "float[4]"):
    y = x.clone()
    y[y < 0] = 0
    return y * 2


def steps(x: "float[3]", a, b):
    m = x > 0
    return (x > 0) * x + (a < b).float() + m.sum() + m.double().mean() * a


def where_index(x: "float[3]"):
    y = np.zeros_like(x)
    idx = np.where(x > 0)
    y[idx] = x[idx]
    return y


def masked_mean(x: "float[3]", y: "float[3]"):
    mask = x > y
    return (x - y)[mask].sum() + x[mask].mean()


def shapes(X: "float[2, 3, 2]"):
    Y = X.permute(2, 0, 1)
    Z = torch.cat([X, X], dim=2)
    W = torch.stack([X[0], X[1]], dim=-1)
    n = X.size(0) + X.shape[1] + len(X) + X.size()[2]
    t = X.transpose(0, 2).flatten(1)
    s = 0
    for i in range(X.numel()):
        s = s + X.flatten()[i]
    return Y[1].max() + Z.amax(dim=2).sum() + W.min() + n * t[0, 0] + s + X.reshape(-1, 2).amax()


def detached(x):
    return x * torch.relu(x).item() + x * float(torch.relu(x)) + torch.stack([x, x]).tolist()[0]


def no_grad_block(x):
    with torch.no_grad():
        m = x * 2
    y = x
    return m * y


@torch.no_grad()
def no_grad_function(x):
    return x * x


@torch.jit.script
def scripted(x):
    return torch.relu(x) * x


def jax_at(x: "float[3]"):
    import jax.numpy as jnp
    y = jnp.zeros(3)
    y = y.at[0].set(jnp.abs(x[0]))
    y = y.at[1].add(jnp.maximum(x[1], x[2]) * 2)
    return y.at[2].multiply(x[2])


def inplace_calls(x: "float[3]"):
    """F.relu(inplace=True), F.relu6(v, True), F.leaky_relu_ and x.clamp_ write into their argument."""
    y = x * 1.0
    a = torch.nn.functional.relu(y, inplace=True) * y
    z = x - 1.0
    torch.nn.functional.leaky_relu_(z, 0.5)
    w = x + 0.5
    w.clamp_(max=1.0)
    v = x * 4.0
    torch.nn.functional.relu6(v, True)
    return (a + z * z + w * x + v).sum()


def python_sorted(x: "float[3]", b):
    """Python's sorted() picks existing objects: the norm it does not pick gets no gradient
    at all (torch: no nan from sqrt at 0 behind it)."""
    return sorted([torch.sqrt((x * x).sum()), b, b + 1.0])[1] * sorted([x[0], x[1], x[2]], reverse=True)[0]


def log_exp(x: "float[3]"):
    """softplus (with torch's threshold), logsumexp, softmax, mish, gelu (tanh form) next to kinks."""
    y = torch.relu(x)
    return (torch.nn.functional.softplus(x, beta=2, threshold=1).sum() + torch.logsumexp(y, 0)
            + torch.softmax(x, dim=0).max() + torch.nn.functional.mish(y).sum()
            + torch.nn.functional.gelu(x, approximate="tanh")[0])


def pool_indices(x: "float[1, 1, 4]"):
    """return_indices=True: the values are read (the indices are not used)."""
    values, _ = torch.nn.functional.max_pool1d(x, 2, return_indices=True)
    return values.sum() + torch.nn.functional.adaptive_max_pool1d(x, 1, return_indices=True)[0].sum()


def prelu_shapes(x: "float[4]", X: "float[1, 2, 2]"):
    """prelu keeps its input's shape (a 0-d entry stays 0-d, so the stack pools along 4 entries)
    and applies one slope per channel (dim 1)."""
    pooled = torch.nn.MaxPool1d(3, stride=1, padding=1)(
        torch.stack([torch.nn.functional.prelu(e, torch.tensor([0.01])) for e in x]).unsqueeze(0))
    return pooled.sum() + torch.nn.functional.prelu(X, torch.tensor([0.5, 2.0])).sum() + torch.nn.PReLU()(x).sum()
