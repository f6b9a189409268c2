"""Normalisation of firm names across scripts, spellings and legal forms.

A firm shows up as ``AAC Technologies Holdings Inc.`` in one list and ``AAC Technologies``
in the next, as ``唐山兴隆钢铁有限公司`` in a Chinese register and ``Tangshan Xinglong Steel
Co Ltd`` in an English one.  :func:`normalise_name` turns each spelling into a comparable
key and keeps what it removed (the legal form, the group word) as evidence for a merge.

Steps, in order:

1. Unicode NFKC (full-width letters, digits and brackets become their ASCII forms) and
   case folding; line breaks and runs of white space become one space.
2. ``&`` becomes ``and``; dots vanish (``S.A.`` -> ``sa``, ``Co.`` -> ``co``); every other
   punctuation mark separates tokens.
3. Chinese / Japanese legal endings (``股份有限公司``, ``有限责任公司``, ``有限公司``,
   ``集团``, ``(中国)``, ``株式会社`` ...) are cut from the end of CJK runs.
4. Latin legal forms (``co``, ``ltd``, ``limited``, ``inc``, ``corp``, ``gmbh``, ``ag``,
   ``sa``, ``spa``, ``plc``, ``llc``, ``kk``, ``pte`` ...) are removed wherever they stand
   after the first token; group words (``group``, ``holding(s)``) only at the end, and
   never when nothing else would be left.
5. Light stemming so that singular and plural agree (``technologies`` -> ``technology``,
   ``electronics`` -> ``electronic``) and a few abbreviations are expanded (``mfg``,
   ``intl``, ``tech``).

The legal-form lists follow the ISO 20275 Entity Legal Forms code list (GLEIF, public
table of legal forms per jurisdiction) for the forms that are common in supplier lists.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "NormalisedName",
    "normalise_name",
    "LEGAL_FORMS",
    "GROUP_WORDS",
    "CJK_SUFFIXES",
    "name_tokens",
    "romanise_chinese",
    "ZH_TERMS",
]

#: Latin-script legal-form tokens removed anywhere after the first token.
LEGAL_FORMS: frozenset[str] = frozenset(
    [
        "co",
        "company",
        "companies",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "llc",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "kgaa",
        "mbh",
        "se",
        "sa",
        "sas",
        "sarl",
        "sasu",
        "srl",
        "spa",
        "sapi",
        "cv",
        "de",
        "nv",
        "bv",
        "oy",
        "oyj",
        "ab",
        "asa",
        "as",
        "aps",
        "kk",
        "pte",
        "pty",
        "bhd",
        "sdn",
        "tbk",
        "pt",
        "jsc",
        "pjsc",
        "ojsc",
        "oao",
        "zao",
        "ooo",
        "ao",
        "qpsc",
        "saog",
        "psc",
        "lş",
        "aş",
        "ltda",
        "eireli",
        "sab",
        "scs",
        "sc",
        "snc",
        "gk",
        "yk",
        "kabushiki",
        "kaisha",
    ]
)
#: Organisational words removed from the end only (kept if nothing else would remain).
GROUP_WORDS: frozenset[str] = frozenset({"group", "holding", "holdings", "continued"})
#: Chinese / Japanese / Korean legal endings, longest first.
CJK_SUFFIXES: tuple[str, ...] = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "集团有限公司",
    "控股有限公司",
    "有限公司",
    "株式会社",
    "(中国)",
    "(中國)",
    "总公司",
    "分公司",
    "集团",
    "集團",
    "控股",
    "股份",
    "公司",
    "주식회사",
)
_CJK_PREFIXES: tuple[str, ...] = ("株式会社", "주식회사")
_ABBREVIATIONS: dict[str, str] = {
    "mfg": "manufacturing",
    "manufactory": "manufacturing",
    "intl": "international",
    "int'l": "international",
    "tech": "technology",
    "techn": "technology",
    "ind": "industry",
    "inds": "industry",
    "elec": "electronic",
    "mach": "machinery",
    "hldgs": "holdings",
}
_HAN = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_STOP = frozenset({"and", "und", "et", "the", "of"})
_IS_CJK = re.compile(f"[{_HAN}]")
_SPLIT = re.compile(rf"[^\w{_HAN}]+|_")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class NormalisedName:
    """A firm name made comparable, with what was removed on the way.

    Attributes
    ----------
    original : str
        The name as given.
    key : str
        The normalised name: tokens joined by one space (CJK runs kept whole).
    tokens : tuple of str
        Latin word tokens and CJK runs of ``key``, in order.
    removed : tuple of str
        Legal forms and group words removed, in the order found (the evidence).
    cjk : bool
        True if the name contains Chinese, Japanese or Korean characters.
    """

    original: str
    key: str
    tokens: tuple[str, ...]
    removed: tuple[str, ...]
    cjk: bool


def _stem(token: str) -> str:
    token = _ABBREVIATIONS.get(token, token)
    if len(token) > 5 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _strip_cjk(text: str, removed: list[str]) -> str:
    """Cut CJK legal endings (and a leading 株式会社) from the whole name, repeatedly."""
    changed = True
    while changed:
        changed = False
        text = text.strip(" ,;:-")
        for prefix in _CJK_PREFIXES:
            if text.startswith(prefix) and text[len(prefix) :].strip():
                removed.append(prefix)
                text = text[len(prefix) :]
                changed = True
        for suffix in CJK_SUFFIXES:
            if text.endswith(suffix) and text[: -len(suffix)].strip(" ,;:-()"):
                removed.append(suffix)
                text = text[: -len(suffix)]
                changed = True
                break
    return text


def normalise_name(name: str) -> NormalisedName:
    """Normalise one firm name; see the module docstring for the steps.

    Parameters
    ----------
    name : str
        A firm name in any script.

    Returns
    -------
    NormalisedName
        The comparable key, its tokens and the removed legal forms.

    Examples
    --------
    >>> normalise_name("AAC Technologies Holdings Inc.").key
    'aac technology'
    >>> normalise_name("ＡＢＣ　Ｃｏ．，Ｌｔｄ．").removed
    ('co', 'ltd')
    >>> n = normalise_name("唐山兴隆钢铁有限公司")
    >>> (n.key, n.removed)
    ('唐山兴隆钢铁', ('有限公司',))
    """
    original = "" if name is None else str(name)
    text = unicodedata.normalize("NFKC", original).casefold()
    text = _WS.sub(" ", text).strip()
    removed: list[str] = []
    # parenthesised (中国) / (china) is a legal-seat marker, not part of the name
    for marker in ("(中国)", "(中國)", "(china)"):
        if marker in text and text.replace(marker, "").strip():
            removed.append(marker)
            text = text.replace(marker, " ")
    if _IS_CJK.search(text):
        text = _strip_cjk(text, removed)
    text = text.replace("&", " and ").replace(".", "").replace("'", "")
    raw = [t for t in _SPLIT.split(text) if t]
    tokens: list[str] = []
    for i, tok in enumerate(raw):
        if tok in _STOP and len(raw) > 1:
            continue
        if i > 0 and tok in LEGAL_FORMS:
            removed.append(tok)
            continue
        tokens.append(tok)
    while len(tokens) > 1 and tokens[-1] in GROUP_WORDS:
        removed.append(tokens.pop())
    if not tokens and raw:  # the name was nothing but a legal form: keep it whole
        tokens = raw[:]
        removed = []
    stemmed = tuple(_stem(t) if t.isascii() or not _IS_CJK.search(t) else t for t in tokens)
    return NormalisedName(
        original=original,
        key=" ".join(stemmed),
        tokens=stemmed,
        removed=tuple(removed),
        cjk=bool(_IS_CJK.search(text)),
    )


def name_tokens(norm: NormalisedName) -> list[str]:
    """Blocking / similarity tokens of a normalised name.

    Latin tokens stay words; a CJK run is split into overlapping character bigrams (a
    Chinese name has no spaces, and bigrams are the usual unit of Chinese name matching).
    """
    out: list[str] = []
    for tok in norm.tokens:
        if _IS_CJK.search(tok):
            if len(tok) == 1:
                out.append(tok)
            else:
                out.extend(tok[i : i + 2] for i in range(len(tok) - 1))
        else:
            out.append(tok)
    return out


#: Chinese industry words -> the English words firms use for them in their English names.
#: No single 钢 / 铁: inside a brand (首钢 = Shougang) they stay part of the brand; 省 and
#: 市 are the province / city markers of place names (江苏省 = Jiangsu Province).
ZH_TERMS: dict[str, str] = {
    "不锈钢": "stainless steel",
    "新材料": "new material",
    "钢铁": "iron steel",
    "特钢": "special steel",
    "钢管": "steel pipe",
    "板材": "plate",
    "冶金": "metallurgical",
    "矿业": "mining",
    "铝业": "aluminium",
    "铜业": "copper",
    "重工": "heavy industry",
    "科技": "technology",
    "技术": "technology",
    "电子": "electronic",
    "精密": "precision",
    "实业": "industrial",
    "工业": "industry",
    "光电": "optoelectronic",
    "材料": "material",
    "机械": "machinery",
    "电气": "electric",
    "制造": "manufacturing",
    "投资": "investment",
    "国际": "international",
    "贸易": "trading",
    "化工": "chemical",
    "能源": "energy",
    "金属": "metal",
    "汽车": "automotive",
    "电池": "battery",
    "联合": "united",
    "半导体": "semiconductor",
    "显示": "display",
    "通信": "communication",
    "包装": "packaging",
    "塑胶": "plastic",
    "纺织": "textile",
    "发展": "development",
    "钢厂": "steel plant",
    "线材": "wire",
    "内蒙古": "inner mongolia",
    "省": "province",
    "市": "city",
}
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_HANZI_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


@lru_cache(maxsize=1)
def _pinyin_available() -> bool:
    return importlib.util.find_spec("pypinyin") is not None


@lru_cache(maxsize=1)
def _zh_terms_pattern() -> re.Pattern[str]:
    terms = sorted(ZH_TERMS, key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, terms)) + ")")


@lru_cache(maxsize=20_000)
def _pinyin(char: str) -> str:
    """Toneless pinyin of one character (most frequent reading), cached."""
    from pypinyin import lazy_pinyin  # type: ignore[import-not-found, import-untyped]

    return str(lazy_pinyin(char)[0])


def romanise_chinese(norm: NormalisedName) -> NormalisedName | None:
    """An English-style key for a Chinese name, or None if not applicable.

    Industry words are translated (:data:`ZH_TERMS`, longest match first); the rest
    (places, brands) is written in Hanyu Pinyin, two syllables to a word (three for an
    odd remainder), which is how mainland firms spell those parts in their English names:
    ``宝山钢铁股份有限公司`` -> ``baoshan iron steel``.  Needs the optional ``pypinyin``
    package; returns None without it, and for names with kana or hangul.
    """
    if not norm.cjk or _KANA_HANGUL.search(norm.original) or "株式会社" in norm.removed:
        return None  # Japanese / Korean names are not read in pinyin
    if not all(_HANZI_ONLY.match(t) or not _IS_CJK.search(t) for t in norm.tokens):
        return None
    if not _pinyin_available():
        return None
    words: list[str] = []
    for tok in norm.tokens:
        if not _IS_CJK.search(tok):
            words.append(tok)
            continue
        for part in _zh_terms_pattern().split(tok):
            if not part:
                continue
            if part in ZH_TERMS:
                words.extend(ZH_TERMS[part].split())
                continue
            syl = [_pinyin(c) for c in part]
            i = 0
            while i < len(syl):
                take = 3 if len(syl) - i == 3 else 2
                words.append("".join(syl[i : i + take]))
                i += take
    tokens = tuple(_stem(w) for w in words)
    return NormalisedName(norm.original, " ".join(tokens), tokens, norm.removed, cjk=False)
