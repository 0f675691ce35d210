"""Reference AWN MLP training loop in PyTorch, float64, written from the method's equations
(docs/reproduction.md, "Cross-check"), independently of the TypeScript implementation.

Usage: awn_reference.py INPUT.json OUTPUT.json

INPUT holds the hyper-parameters, the initial parameters, the batches and, for every step at
which the TypeScript run grew a layer, the grown parameters after the step: new entries are
taken from there (the growth draws come from the TypeScript PRNG), every retained entry comes
from this script's own trajectory. OUTPUT holds, for every step, the loss terms computed on the
batch before the update, and the rates and widths after it.
"""
import json
import math
import sys

import torch

torch.set_default_dtype(torch.float64)

MASS_FLOOR = 1e-6  # added to every mass u_j so far-tail neurons keep some importance
RATE_EPSILON = 1e-8  # lambda = softplus(r) + epsilon stays positive


def rate(raw):
    return torch.nn.functional.softplus(raw) + RATE_EPSILON


def width(lam, quantile, max_width):
    # D = floor(Q(k) + 2) with Q(k) = -ln(1 - k) / lambda, capped to [1, max_width].
    d = math.floor(-math.log(1.0 - quantile) / lam + 2.0)
    return max(1, min(max_width, d))


def importance(raw, d):
    lam = rate(raw)
    j = torch.arange(d, dtype=torch.float64)
    u = torch.exp(-lam * j) * (1.0 - torch.exp(-lam)) + MASS_FLOOR
    return u / u.sum()


def tensor(values, shape):
    return torch.tensor(values, dtype=torch.float64).reshape(shape)


class Reference:
    def __init__(self, spec):
        self.h = spec["hyper"]
        self.layers = spec["layers"]  # hidden layers: names of weight, bias, rate
        self.output = spec["output"]
        init = spec["initial"]
        self.p = {name: tensor(v["values"], v["shape"]).requires_grad_(True) for name, v in init.items()}
        self.m = {name: torch.zeros_like(t) for name, t in self.p.items()}
        self.v = {name: torch.zeros_like(t) for name, t in self.p.items()}
        self.t = 0

    def widths(self):
        return [self.p[l["weight"]].shape[1] for l in self.layers]

    def rates(self):
        return [float(rate(self.p[l["rate"]].detach())[0]) for l in self.layers]

    def loss(self, x, y):
        h = x
        for l in self.layers:
            d = self.p[l["weight"]].shape[1]
            a = torch.clamp(h @ self.p[l["weight"]] + self.p[l["bias"]], 0.0, 6.0)  # ReLU6
            h = a * importance(self.p[l["rate"]][0], d)
        logits = h @ self.p[self.output["weight"]] + self.p[self.output["bias"]]
        nll = torch.nn.functional.cross_entropy(logits, y)
        n = self.h["nObservations"]
        sq = sum((t * t).sum() for name, t in self.p.items() if name not in self.rate_names())
        weight_prior = sq / (2.0 * self.h["weightPriorStd"] ** 2 * n)
        rate_prior = torch.zeros(())
        if self.h.get("rateStd") is not None:
            mu, sd = self.h["rateMean"], self.h["rateStd"]
            for l in self.layers:
                lam = rate(self.p[l["rate"]][0])
                rate_prior = rate_prior + math.log(sd) + (lam - mu) ** 2 / (2.0 * sd * sd)
            rate_prior = rate_prior / n
        return nll, weight_prior, rate_prior

    def rate_names(self):
        return {l["rate"] for l in self.layers}

    def adam(self):
        lr, b1, b2, eps = self.h["learningRate"], self.h["beta1"], self.h["beta2"], self.h["epsilon"]
        self.t += 1
        with torch.no_grad():
            for name, t in self.p.items():
                g = t.grad
                self.m[name] = b1 * self.m[name] + (1 - b1) * g
                self.v[name] = b2 * self.v[name] + (1 - b2) * g * g
                m_hat = self.m[name] / (1 - b1**self.t)
                v_hat = self.v[name] / (1 - b2**self.t)
                t -= lr * m_hat / (torch.sqrt(v_hat) + eps)
                t.grad = None

    def project(self):
        bound = self.h.get("minRate")
        if bound is None:
            return
        with torch.no_grad():
            for l in self.layers:
                r = self.p[l["rate"]]
                if float(rate(r)[0]) < bound:
                    r.fill_(math.log(math.expm1(bound - RATE_EPSILON)))  # softplus^-1

    def resize(self, name, shape, fresh):
        """New shape for a parameter: the retained block is kept (values and Adam moments), the
        other entries come from `fresh` (the TypeScript run's values after its resize)."""
        old = self.p[name].detach()
        new = tensor(fresh["values"], fresh["shape"]) if fresh is not None else torch.zeros(shape)
        assert list(new.shape) == list(shape), f"{name}: fresh values of shape {list(new.shape)}, expected {shape}"
        keep = tuple(slice(0, min(a, b)) for a, b in zip(old.shape, shape))
        new[keep] = old[keep]
        for slots in (self.m, self.v):
            s = torch.zeros(shape)
            s[keep] = slots[name][keep]
            slots[name] = s
        self.p[name] = new.requires_grad_(True)

    def update_widths(self, fresh):
        for i, l in enumerate(self.layers):
            d_old = self.p[l["weight"]].shape[1]
            d = width(self.rates()[i], self.h["quantile"], self.h["maxWidth"])
            if d == d_old:
                continue
            consumer = self.layers[i + 1]["weight"] if i + 1 < len(self.layers) else self.output["weight"]
            w, b, c = l["weight"], l["bias"], consumer
            grown = d > d_old
            for name, shape in ((w, [self.p[w].shape[0], d]), (b, [d]), (c, [d, self.p[c].shape[1]])):
                values = fresh.get(name) if grown else None
                if grown and values is None:
                    raise SystemExit(f"step grew {w} here but the TypeScript run did not grow it")
                if values is not None:
                    # Only the block this resize adds is fresh; slice the recorded tensor to it.
                    full = tensor(values["values"], values["shape"])
                    values = {"values": full[tuple(slice(0, n) for n in shape)].flatten().tolist(), "shape": shape}
                self.resize(name, shape, values)


def main():
    spec = json.load(open(sys.argv[1]))
    ref = Reference(spec)
    out = []
    for step, batch in enumerate(spec["batches"]):
        x = tensor(batch["x"], [len(batch["y"]), spec["inputDim"]])
        y = torch.tensor(batch["y"], dtype=torch.long)
        nll, wp, rp = ref.loss(x, y)
        total = nll + wp + rp
        total.backward()
        ref.adam()
        ref.project()
        ref.update_widths(spec["growth"].get(str(step), {}))
        out.append({"nll": float(nll), "weightPrior": float(wp), "ratePrior": float(rp), "total": float(total), "rates": ref.rates(), "widths": ref.widths()})
    json.dump({"steps": out, "torch": torch.__version__}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
