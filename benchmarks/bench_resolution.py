"""Benchmark firm resolution: 150,000 synthetic names, time and peak memory, and the
blocked resolver against a naive all-pairs scorer on a sample.

    PYTHONPATH=. python benchmarks/bench_resolution.py [--n 150000] [--sample 2000] [--embeddings]

Synthetic names: base firms (city + brand + industry, in English or Chinese) each written
1-5 ways - legal suffix swapped (Co., Ltd. / Company Limited / Inc. / 有限公司 /
股份有限公司 ...), case changed, punctuation dropped, full-width letters, '&' for 'and',
extra white space, one letter dropped, "(China)" / "（中国）" added.  Ground truth is the
base firm, so pairwise precision and recall are printed too.  Target: <= 120 s and
<= 4 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import time
from math import comb

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ingest.resolution import evaluate_resolution, resolve_firms
from ingest.resolution.names import name_tokens, normalise_name
from ingest.resolution.resolver import _rowwise_dot, _tfidf_rows, _trigrams, _vocab_matrix

CITIES_EN = [
    "Shenzhen",
    "Suzhou",
    "Dongguan",
    "Tangshan",
    "Wuxi",
    "Ningbo",
    "Xiamen",
    "Chengdu",
    "Tianjin",
    "Hangzhou",
    "Foshan",
    "Qingdao",
    "Hefei",
    "Wuhan",
    "Changzhou",
    "Kunshan",
    "Jiangyin",
    "Taizhou",
    "Yantai",
    "Zhuhai",
    "Osaka",
    "Nagoya",
    "Seoul",
    "Busan",
    "Taipei",
    "Hsinchu",
    "Penang",
    "Pune",
    "Chennai",
    "Monterrey",
    "Stuttgart",
    "Lyon",
    "Milan",
    "Brescia",
]
CITIES_ZH = [
    "深圳",
    "苏州",
    "东莞",
    "唐山",
    "无锡",
    "宁波",
    "厦门",
    "成都",
    "天津",
    "杭州",
    "佛山",
    "青岛",
    "合肥",
    "武汉",
    "常州",
    "昆山",
    "江阴",
    "台州",
    "烟台",
    "珠海",
]
INDUSTRY_EN = [
    "Precision",
    "Electronics",
    "Technology",
    "Steel",
    "Materials",
    "Optical",
    "Machinery",
    "Semiconductor",
    "Battery",
    "Chemical",
    "Plastics",
    "Metal",
    "Packaging",
    "Display",
    "Components",
    "Circuit",
    "Automotive",
    "Textile",
]
INDUSTRY_ZH = [
    "精密",
    "电子",
    "科技",
    "钢铁",
    "材料",
    "光电",
    "机械",
    "半导体",
    "电池",
    "化工",
    "塑胶",
    "金属",
    "包装",
    "显示",
    "元件",
    "电路",
    "汽车",
    "纺织",
]
SYLLABLES = [
    "an",
    "bao",
    "chang",
    "cheng",
    "da",
    "de",
    "dong",
    "fa",
    "feng",
    "fu",
    "gang",
    "guang",
    "hai",
    "hao",
    "heng",
    "hong",
    "hua",
    "hui",
    "jia",
    "jian",
    "jin",
    "jing",
    "kai",
    "kang",
    "li",
    "lian",
    "long",
    "mei",
    "ming",
    "nan",
    "peng",
    "qiang",
    "rui",
    "sheng",
    "shi",
    "tai",
    "tian",
    "tong",
    "wei",
    "xin",
    "xing",
    "yang",
    "yi",
    "yong",
    "yu",
    "yuan",
    "ze",
    "zhan",
    "zhong",
    "zhi",
]
HANZI = "安宝昌成大德东发丰富港广海豪恒鸿华辉佳建金晶凯康立联龙美明南鹏强瑞盛世泰天通伟新兴扬益永宇源泽展中志"
SUFFIX_EN = [
    "Co., Ltd.",
    "Co Ltd",
    "Company Limited",
    "Limited",
    "Inc.",
    "Corporation",
    "Corp.",
    "Group Co., Ltd.",
    "Holdings Limited",
    "",
]
SUFFIX_ZH = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "（中国）有限公司", ""]


def _fullwidth(text: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def synthetic_names(n: int, seed: int = 0) -> pd.DataFrame:
    """About ``n`` firm records with a ``truth`` column (the base firm)."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, int]] = []
    base = 0
    while len(rows) < n:
        zh = rng.random() < 0.35
        k = int(rng.integers(1, 6))
        if zh:
            brand = "".join(rng.choice(list(HANZI), size=int(rng.integers(2, 4))))
            stem = rng.choice(CITIES_ZH) + brand + rng.choice(INDUSTRY_ZH)
            variants = dict.fromkeys(stem + s for s in rng.choice(SUFFIX_ZH, size=k))
        else:
            brand = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))).capitalize()
            words = [brand, *rng.choice(INDUSTRY_EN, size=int(rng.integers(1, 3)), replace=False)]
            if rng.random() < 0.5:
                words.insert(0, rng.choice(CITIES_EN))
            if rng.random() < 0.2:
                words.insert(-1, "&")
            stem = " ".join(words)
            variants = {}  # insertion-ordered: the same records in every process
            for _ in range(k):
                v = f"{stem} {rng.choice(SUFFIX_EN)}".strip()
                r = rng.random()
                if r < 0.15:
                    v = v.upper()
                elif r < 0.25:
                    v = v.replace(".", "").replace(",", "")
                elif r < 0.32:
                    v = _fullwidth(v)
                elif r < 0.40:
                    v = v.replace("&", "and")
                elif r < 0.47:
                    v = "  ".join(v.split(" "))
                elif r < 0.52 and len(brand) > 6:
                    cut = int(rng.integers(2, len(brand) - 1))
                    v = v.replace(brand, brand[:cut] + brand[cut + 1 :])
                elif r < 0.57:
                    v = v + " (China)"
                variants[v] = None
        country = "CHN" if zh else str(rng.choice(["CHN", "TWN", "JPN", "KOR", "USA", "DEU"]))
        for v in variants:
            rows.append((v, country, base))
        base += 1
    df = pd.DataFrame(rows[:n], columns=["name", "country", "truth"])
    df.insert(0, "id", [f"s{i}" for i in range(len(df))])
    return df


def pairwise_pr(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the true clusters."""
    both = pd.DataFrame({"p": pred, "t": truth})
    tp = sum(comb(int(c), 2) for c in both.groupby(["p", "t"]).size())
    pp = sum(comb(int(c), 2) for c in both.groupby("p").size())
    tt = sum(comb(int(c), 2) for c in both.groupby("t").size())
    return (tp / pp if pp else 1.0), (tp / tt if tt else 1.0)


def naive_all_pairs(names: list[str], threshold: float) -> np.ndarray:
    """Cluster labels from scoring every pair of distinct keys, no blocking (same score)."""
    key_of = [normalise_name(x).key for x in names]
    keys = list(dict.fromkeys(key_of))
    norms = [normalise_name(x) for x in dict.fromkeys(names)]
    by_key = {n.key: n for n in norms}
    tok, _ = _vocab_matrix([name_tokens(by_key[k]) for k in keys])
    tri_bin, _ = _vocab_matrix([_trigrams(k) for k in keys])
    m = len(keys)
    left, right = np.triu_indices(m, k=1)
    df = np.asarray(tok.sum(axis=0)).ravel()
    idf = np.log((1.0 + m) / (1.0 + df)) + 1.0
    weight = np.asarray(tok @ idf).ravel()
    tok_w = sp.csr_matrix(tok.multiply(np.sqrt(idf)[None, :]))
    inter = _rowwise_dot(tok_w, left, right)
    union = weight[left] + weight[right] - inter
    jac = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    tri, _ = _tfidf_rows(tri_bin)
    score = 0.5 * jac + 0.5 * _rowwise_dot(tri, left, right)
    keep = score >= threshold
    graph = sp.coo_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])), shape=(m, m))
    _, labels = connected_components(graph, directed=False)
    pos = {k: i for i, k in enumerate(keys)}
    return labels[[pos[k] for k in key_of]]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=150_000)
    ap.add_argument("--sample", type=int, default=2_000)
    ap.add_argument("--embeddings", action="store_true")
    args = ap.parse_args()

    df = synthetic_names(args.n)
    print(f"{len(df):,} synthetic names, {df['truth'].nunique():,} true firms")
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    result = resolve_firms(df, use_embeddings=args.embeddings, progress=True)
    elapsed = time.perf_counter() - t0
    p, r = pairwise_pr(result.clusters["canonical_id"].to_numpy(), df["truth"].to_numpy())
    print(
        f"resolve_firms: {elapsed:.1f} s, peak RSS {peak_rss_mb():.0f} MB (before: {rss0:.0f} MB), "
        f"{result.n_candidates:,} candidate pairs, {result.n_clusters:,} clusters, "
        f"{len(result.merges):,} merges, method {result.method}; pairwise P {p:.3f} R {r:.3f}"
    )

    t3 = time.perf_counter()
    scores, _ = evaluate_resolution(use_embeddings=args.embeddings)
    tl = time.perf_counter() - t3
    print(f"\nlabelled pairs (ingest/sample_data/labelled), {tl:.1f} s:")
    for s in scores:
        print(
            f"  {s.source:<10} P {s.precision:.3f} R {s.recall:.3f} (tp {s.tp}, fp {s.fp}, fn {s.fn})"
        )

    firms = pd.Series(df["truth"].unique()).sample(frac=1.0, random_state=1)
    counts = df.groupby("truth").size().reindex(firms).cumsum()
    chosen = counts.index[counts.to_numpy() <= args.sample]
    sample = df[df["truth"].isin(chosen)].reset_index(drop=True)
    t1 = time.perf_counter()
    blocked = resolve_firms(sample, use_embeddings=False)
    tb = time.perf_counter() - t1
    t2 = time.perf_counter()
    naive = naive_all_pairs(sample["name"].tolist(), blocked.threshold)
    tn = time.perf_counter() - t2
    truth = sample["truth"].to_numpy()
    pb, rb = pairwise_pr(blocked.clusters["canonical_id"].to_numpy(), truth)
    pn, rn = pairwise_pr(naive, truth)
    n_keys = len({normalise_name(x).key for x in sample["name"]})
    scale = (len(df) / len(sample)) ** 2
    print(
        f"\nsample: {len(sample):,} names of {len(chosen):,} whole firms ({n_keys:,} distinct keys)"
    )
    print(f"{'method':<26}{'seconds':>10}{'pairs scored':>15}{'P':>8}{'R':>8}")
    for name, sec, pairs, pp, rr in (
        ("blocked (resolve_firms)", tb, blocked.n_candidates, pb, rb),
        ("naive all pairs", tn, comb(n_keys, 2), pn, rn),
    ):
        print(f"{name:<26}{sec:>10.2f}{pairs:>15,}{pp:>8.3f}{rr:>8.3f}")
    print(f"naive / blocked time ratio on the sample: {tn / tb:.1f}x")
    print(
        f"naive all pairs extrapolated to {len(df):,} names: ~{tn * scale / 3600:.1f} h "
        f"(quadratic) vs {elapsed:.0f} s blocked: {tn * scale / elapsed:.0f}x"
    )


if __name__ == "__main__":
    main()
