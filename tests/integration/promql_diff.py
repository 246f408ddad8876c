"""Comparing Prometheus API query answers the way the PromQL compliance tester does
(prometheus/compliance promql/comparer, summarised in
../shared/conformance/promql-compliance/README.md §1). Python 3 standard library only."""
import functools
import json
import math

# The tester's default tolerance: |a-b| <= max(MARGIN, FRACTION * min(|a|, |b|)).
FRACTION, MARGIN = 1e-5, 0.0


def ms_str(ms):
    return f"{ms // 1000}.{ms % 1000:03d}"


def label_before(a, b):
    """Go's model.Metric.Before (the order the tester sorts the target's matrix in)."""
    if len(a) != len(b):
        return len(a) < len(b)
    for name in sorted(list(a) + list(b)):
        if name not in a:
            return True
        if name not in b:
            return False
        if a[name] != b[name]:
            return a[name] < b[name]
    return False


def metric_cmp(x, y):
    a, b = x["metric"], y["metric"]
    return -1 if label_before(a, b) else (1 if label_before(b, a) else 0)


def same_value(a, b):
    """cmpopts.EquateApprox(1e-5, 0) on finite values, exact on infinities, NaN == NaN."""
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= max(MARGIN, FRACTION * min(abs(x), abs(y)))


def fmt_metric(m):
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(m.items())) + "}"


def diff(ref, tgt, sort_ref=False):
    """None when two `data` objects of query answers are equal for the tester, else a short
    description of the first difference. As the tester does for range queries, the target's
    series are sorted in Go's model.Matrix order and the reference's are taken as returned
    (sort_ref=True sorts both, for instant vectors, whose order means nothing)."""
    if ref.get("resultType") != tgt.get("resultType"):
        return f"result type: prometheus {ref.get('resultType')}, vigil {tgt.get('resultType')}"
    r, t = ref.get("result"), tgt.get("result")
    if ref.get("resultType") in ("scalar", "string"):
        if (round(float(r[0]) * 1000) != round(float(t[0]) * 1000) or
                (ref["resultType"] == "scalar" and not same_value(r[1], t[1])) or
                (ref["resultType"] == "string" and r[1] != t[1])):
            return f"prometheus {r}, vigil {t}"
        return None
    if (r is None) != (t is None):
        return f"result: prometheus {json.dumps(r)[:80]}, vigil {json.dumps(t)[:80]} (null vs [])"
    key = functools.cmp_to_key(metric_cmp)
    r = sorted(r or [], key=key) if sort_ref else (r or [])
    t = sorted(t or [], key=key)
    if len(r) != len(t) or any(a["metric"] != b["metric"] for a, b in zip(r, t)):
        rs = [fmt_metric(s["metric"]) for s in r]
        ts = [fmt_metric(s["metric"]) for s in t]
        only_r = [m for m in rs if m not in ts][:2]
        only_t = [m for m in ts if m not in rs][:2]
        return (f"series: prometheus {len(r)}, vigil {len(t)}; only in prometheus {only_r}, "
                f"only in vigil {only_t}" + ("; same sets, other order" if sorted(rs) == sorted(ts)
                                            else ""))
    for a, b in zip(r, t):
        va = a.get("values") or ([a["value"]] if "value" in a else [])
        vb = b.get("values") or ([b["value"]] if "value" in b else [])
        for i in range(max(len(va), len(vb))):
            pa = va[i] if i < len(va) else None
            pb = vb[i] if i < len(vb) else None
            if (pa is None or pb is None or round(float(pa[0]) * 1000) != round(float(pb[0]) * 1000)
                    or not same_value(pa[1], pb[1])):
                return (f"{fmt_metric(a['metric'])} point {i} of {len(va)}/{len(vb)}: "
                        f"prometheus {pa}, vigil {pb}")
    return None
