"""Every component id of the dashboards, in one place (pages and tests import them here)."""

from __future__ import annotations

# app shell
URL = "url"
NAV = "nav"
LANG_LINKS = "lang-links"
PAGE_LANG = "page-lang"
MESSAGE = "page-message"
DENIED = "access-denied"
PAGE_TITLE = "page-title"

# 1. chain overview
OV_CHAIN = "ov-chain"
OV_GRAPH = "ov-graph"
OV_SEGMENTS = "ov-segments"
OV_DRILL = "ov-drill"
OV_DRILL_TITLE = "ov-drill-title"

# 2. chokepoints and weak links
CK_CHAIN = "ck-chain"
CK_TABLE_NAME = "ck-table-name"
CK_REGION = "ck-region"
CK_MIN_SCORE = "ck-min-score"
CK_TABLE = "ck-table"
CK_EXPLAIN = "ck-explain"
CK_RUN = "ck-run"

# 3. regional distribution
RG_CHAIN = "rg-chain"
RG_MAP = "rg-map"
RG_COUNTRY = "rg-country-bars"
RG_REGION = "rg-region-bars"
RG_HHI = "rg-hhi"

# 4. chain lead
CL_FIRM = "cl-firm"
CL_TIERS = "cl-tiers"
CL_EXPOSURE = "cl-exposure"
CL_AT_RISK = "cl-at-risk"
CL_SUBSTITUTES = "cl-substitutes"
CL_MATCHING = "cl-matching"
CL_SUMMARY = "cl-summary"

# 5. scenario studio
SC_CHAIN = "sc-chain"
SC_PLANTS = "sc-plants"
SC_FIRMS = "sc-firms"
SC_REGIONS = "sc-regions"
SC_TTR = "sc-ttr"
SC_RUN = "sc-run"
SC_RESULT = "sc-result"
SC_SUMMARY = "sc-summary"
SC_NODES_GRAPH = "sc-nodes-graph"
SC_PLAN = "sc-plan"
SC_A = "sc-compare-a"
SC_B = "sc-compare-b"
SC_COMPARE = "sc-compare"
SC_SWEEP = "sc-sweep"

# 6. plant twins
TW_PLANT = "tw-plant"
TW_FLEET = "tw-fleet"
TW_FAN = "tw-fan"
TW_EVENTS = "tw-events"
TW_STATE = "tw-state"

# 7. alerts
AL_TTR = "al-ttr"
AL_CAPACITY = "al-capacity"
AL_NEW_CHOKEPOINTS = "al-new-chokepoints"

__all__ = [name for name in dir() if name.isupper()]
