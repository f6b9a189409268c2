"""Rebuild ``firm_pairs.csv`` from the two public sources (run from the repository root).

    python ingest/sample_data/labelled/make_firm_pairs.py ../shared/data

Labelling rules are in README.md next to this file.  The rule deliberately does not call
``ingest.resolution``: the labels must not depend on the code they evaluate.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import pandas as pd

LEGAL = {
    "co", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "company", "llc",
    "plc", "ag", "gmbh", "sa", "aktiengesellschaft", "nv", "bv", "oyj", "pte", "kgaa",
}  # fmt: skip
# same firm, different spelling / renaming / annotation (public record) -> one label key
ALIAS = {
    "aac acoustic technologies holdings": "aac technologies holdings",
    "at and s": "at and s austria technologie and systemtechnik",
    "austria technologie and systemtechnik": "at and s austria technologie and systemtechnik",
    "alps alpine": "alps electric",  # renamed 2019
    "austria microsystems ams": "austria microsystems",
    "ams": "austria microsystems",  # renamed
    "ams osram": "austria microsystems",  # ams AG renamed ams-OSRAM AG
    "china circuit technology shantou": "china circuit technology",
    "china jinlong holding group": "jinlong holding group",
    "cn innovations holdings": "cn innovations",
    "darfon electronic": "darfon electronics",
    "furukawa": "furukawa electric",
    "henkel and": "henkel",
    "idemia group continued": "idemia group",
    "jcet group continued": "jcet group",
    "jx nippon mining and metals eneos holding": "jx nippon mining and metals",
    "jabil circuit": "jabil",  # renamed 2017
    "jinlong machinery and electronic": "jinlong machinery and electronics",
    "kyocera group": "kyocera",
    "luxshare ict": "luxshare precision industry",  # brand of the listed company
    "lens one technology shenzhen": "lens one technology",
    "lingyi itech guangdong continued": "lingyi itech guangdong",
    "lumileds holding b v": "lumileds holding",
    "minebea mitsumi": "minebea",  # renamed MinebeaMitsumi 2017
    "minebeamitsumi": "minebea",
    "minebeamitsumi continued": "minebea",
    "nxp semiconductor n v": "nxp semiconductors",
    "nxp semiconductor": "nxp semiconductors",
    "nxp semiconductors n v": "nxp semiconductors",
    "nissha printing": "nissha",  # renamed 2017
    "osram opto semiconductor": "osram opto semiconductors",
    "renesas electronics continued": "renesas electronics",
    "sabic innovative plastics holding": "sabic innovative plastics",
    "stmicroelectronics n v": "stmicroelectronics",
    "salcomp shenzhen": "salcomp",
    "seagate technologies": "seagate technology",
    "solvay s a": "solvay",
    "solvay specialty polymers united states": "solvay specialty polymers usa",
    "solvay specialty polymers": "solvay specialty polymers usa",
    "sunwoda electronic": "sunwoda electronics",
    "suyin electronic": "suyin",
    "swiftronic holding": "swiftronic",
    "te connectivity tyco": "te connectivity",
    "taiwan powder technologies tpt": "taiwan powder technologies",
    "taiwan semiconductor manufacturing tsmc": "taiwan semiconductor manufacturing",
    "teikoku printing inks mfg": "teikoku printing inks manufacturing",
    "threebond holdings": "threebond group",
    "trinseo s a": "trinseo",
    "unimicron technology": "unimicron",
    "unisteel technology sfs group": "unisteel technology",
    "zhen ding technology holding": "zhen ding technology",
}
# pairs of label keys left out: the public record does not settle them
AMBIGUOUS = [
    {"longwell", "longwell precision"},
    {"laird", "laird technologies"},
    {"boyd", "boyd die cut"},
    {"dsm", "dsm engineering plastics"},
    {"delta electronics", "delta group"},
    {"cathay tat ming hk", "cathay tat ming precision metal products"},
    {"cymmetrik enterprise", "cymmetrik shenzen printing"},
    {"the chemours", "the chemours fc"},
    {"triumph lead electronic tech", "triumph lead group"},
    {"winox enterprise", "winox holdings"},
    {"shenzhen yuto packaging technology", "shenzhen yuto printing holdings"},
    {"advanced semiconductor engineering", "advanced semiconductor engineering technology holding"},
]
CROSS_BLOCK = [  # same firm, names starting with different words
    ("AT&S", "Austria Technologie & Systemtechnik AG"),
    ("AT&S AG", "Austria Technologie and Systemtechnik AG"),
    ("ams OSRAM AG", "Austria Microsystems"),
    ("China Jinlong Holding Group", "Jinlong Holding Group Co., Ltd."),
]


def core(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower().replace("&", " and "))
    return " ".join(w for w in words if w not in LEGAL)


def label_key(name: str) -> str:
    c = core(name)
    return ALIAS.get(c, c)


def apple_pairs(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)["supplier_name"].dropna().unique()
    names = sorted({re.sub(r"\s+", " ", x).strip() for x in raw})
    blocks: dict[str, list[str]] = {}
    for x in names:
        blocks.setdefault(re.findall(r"[a-z0-9]+", x.lower())[0], []).append(x)
    ambiguous = [frozenset(a) for a in AMBIGUOUS]
    rows = []
    for members in blocks.values():
        for a, b in itertools.combinations(members, 2):
            ka, kb = label_key(a), label_key(b)
            if frozenset({ka, kb}) in ambiguous:
                continue
            rule = "same core" if core(a) == core(b) else ("alias" if ka == kb else "differ")
            rows.append(("apple", a, b, int(ka == kb), rule))
    known = set(names)
    for a, b in CROSS_BLOCK:
        if a in known and b in known:
            rows.append(("apple", a, b, 1, "alias"))
    return pd.DataFrame(rows, columns=["source", "left_name", "right_name", "same", "rule"])


def _split(cell: object) -> list[str]:
    if not isinstance(cell, str):
        return []
    return [re.sub(r"\s*\[[\d.]+%\]\s*$", "", p).strip() for p in cell.split(";")]


def gem_pairs(path: Path, max_negatives: int = 1500) -> pd.DataFrame:
    d = pd.read_csv(path)
    seen: dict[tuple[str, str], str] = {}  # (gem id, name) -> language
    for _, r in d.iterrows():
        for name, gid in zip(_split(r["Parent"]), _split(r["Parent GEM ID"]), strict=False):
            seen.setdefault((gid, name), "en")
        gid = str(r["Owner GEM ID"]).strip()
        if isinstance(r["Owner"], str):
            seen.setdefault((gid, r["Owner"].strip()), "en")
        if isinstance(r["Owner (other language)"], str):
            seen.setdefault((gid, r["Owner (other language)"].strip()), "other")
    ents = pd.DataFrame(
        [(g, n, lang) for (g, n), lang in seen.items()], columns=["gid", "name", "lang"]
    )
    bad = ents["name"].str.lower().str.contains("unknown|shareholder|^other|individual", regex=True)
    ents = ents[~bad & ents["gid"].str.match(r"^E\d+$") & (ents["name"] != "")]
    rows = []
    for _gid, g in ents.groupby("gid"):
        for (na, la), (nb, lb) in itertools.combinations(zip(g["name"], g["lang"], strict=True), 2):
            src = "gem" if la == lb == "en" else "gem_xlang"
            rows.append((src, na, nb, 1, "same GEM id"))
    en = ents[ents["lang"] == "en"].drop_duplicates("name")
    en = en.assign(first=en["name"].str.lower().str.extract(r"^(\w+)", expand=False))
    neg = []
    for _, g in en.groupby("first"):
        for (na, ga), (nb, gb) in itertools.combinations(zip(g["name"], g["gid"], strict=True), 2):
            if ga != gb:
                neg.append(("gem", na, nb, 0, "different GEM id, same first word"))
    negatives = pd.DataFrame(neg, columns=["source", "left_name", "right_name", "same", "rule"])
    if len(negatives) > max_negatives:
        negatives = negatives.sample(max_negatives, random_state=0)
    out = pd.DataFrame(rows, columns=["source", "left_name", "right_name", "same", "rule"])
    return pd.concat([out, negatives], ignore_index=True)


def main(shared: str) -> None:
    base = Path(shared)
    pairs = pd.concat(
        [
            apple_pairs(base / "apple_supplier_list" / "apple-supplier-list.csv"),
            gem_pairs(base / "gem_steel_plants" / "steel_plants.csv"),
        ],
        ignore_index=True,
    )
    pairs = pairs[pairs["left_name"] != pairs["right_name"]].drop_duplicates(
        ["left_name", "right_name"]
    )
    out = Path(__file__).with_name("firm_pairs.csv")
    pairs.to_csv(out, index=False)
    print(pairs.groupby(["source", "same"]).size())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
