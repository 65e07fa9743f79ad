"""The reference for the budget-risk simulation: the same compound model written plainly with
numpy (vectorised per member), timed like Samenspel's. Reads the member models that
`samenspel-bench simuleer --json` prints on standard input.

    samenspel-bench simuleer --json | python bench/simulation_reference.py 1000000
"""
import json
import sys
import time

import numpy as np

years = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
data = json.load(sys.stdin)
members, agreement = data["members"], data["agreement"]
alpha = agreement["solidarity"]
threshold = agreement["threshold_euros"]
rng = np.random.default_rng(2026)

start = time.perf_counter()
kept = np.zeros((len(members), years))
pooled = np.zeros((len(members), years))
for i, m in enumerate(members):
    c = m["client_cost"]
    mean = np.exp(c["mu"] + c["sigma"] ** 2 / 2)
    sd = np.sqrt((np.exp(c["sigma"] ** 2) - 1) * np.exp(2 * c["mu"] + c["sigma"] ** 2))
    n = rng.poisson(m["clients_per_year"], years)
    regular = np.maximum(rng.normal(n * mean, np.sqrt(n) * sd), 0)
    e = m["expensive_cost"]
    k = rng.poisson(m["expensive_per_year"], years)
    costs = rng.lognormal(e["mu"], e["sigma"], k.sum())
    year_of = np.repeat(np.arange(years), k)
    if threshold is None:
        pooled[i] = regular + np.bincount(year_of, costs, years)
    else:
        kept[i] = regular + np.bincount(year_of, np.minimum(costs, threshold), years)
        pooled[i] = np.bincount(year_of, np.maximum(costs - threshold, 0), years)
weights = np.array([m["weight"] for m in members])
shares = weights / weights.sum()
own = kept + pooled
inside = kept + (1 - alpha) * pooled + alpha * shares[:, None] * pooled.sum(axis=0)
budgets = np.array([m["budget_euros"] for m in members])
overrun_alone = (own > budgets[:, None]).mean(axis=1)
overrun_inside = (inside > budgets[:, None]).mean(axis=1)
var_alone = np.quantile(own, 0.95, axis=1)
var_inside = np.quantile(inside, 0.95, axis=1)
elapsed = time.perf_counter() - start
print(f"numpy {np.__version__}: {years} regiojaren, {len(members)} leden, 1 thread: {elapsed:.2f} s")
for i in range(3):
    print(f"  {members[i]['member']}: kans op overschrijding alleen {overrun_alone[i] * 100:.1f} %, "
          f"binnen de afspraak {overrun_inside[i] * 100:.1f} %; VaR95 alleen € {var_alone[i]:.0f}, "
          f"binnen € {var_inside[i]:.0f}")
