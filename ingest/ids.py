"""Stable business ids built from source values (``namespace:slug``)."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

__all__ = ["slug", "slugs", "region_id"]

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def slug(text: object) -> str:
    """Lower-case, NFKC-normalised text with runs of non-word characters replaced by ``-``.

    Chinese characters are kept, so ``slug("宝山钢铁 股份")`` is ``"宝山钢铁-股份"``.
    """
    value = unicodedata.normalize("NFKC", str(text)).casefold().strip()
    return _NON_WORD.sub("-", value).strip("-")


def slugs(values: pd.Series) -> pd.Series:
    """Vectorised :func:`slug`; missing values stay missing."""
    return values.map(lambda v: None if v is None or v != v else slug(v))


def region_id(country: str | None, name: object) -> str | None:
    """Id of a subnational region: ``region:<ISO3>:<slug of name>`` (None if either is missing)."""
    if country is None or name is None or name != name or not str(name).strip():
        return None
    return f"region:{country}:{slug(name)}"
