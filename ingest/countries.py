"""Country names as the bundled datasets spell them -> ISO 3166-1 codes.

The table covers the spellings of the GEM steel tracker, the Apple supplier list and the
USAID SCMS data (ISO 3166-1, https://www.iso.org/iso-3166-country-codes.html).  Taiwan, Hong
Kong and Macao keep their ISO 3166-1 codes (TWN, HKG, MAC).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["COUNTRIES", "country_code", "country_codes", "country_table"]

# canonical English name, alpha-3, alpha-2
_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Afghanistan", "AFG", "AF"),
    ("Algeria", "DZA", "DZ"),
    ("Angola", "AGO", "AO"),
    ("Argentina", "ARG", "AR"),
    ("Australia", "AUS", "AU"),
    ("Austria", "AUT", "AT"),
    ("Azerbaijan", "AZE", "AZ"),
    ("Bahrain", "BHR", "BH"),
    ("Bangladesh", "BGD", "BD"),
    ("Belarus", "BLR", "BY"),
    ("Belgium", "BEL", "BE"),
    ("Belize", "BLZ", "BZ"),
    ("Benin", "BEN", "BJ"),
    ("Bolivia", "BOL", "BO"),
    ("Bosnia and Herzegovina", "BIH", "BA"),
    ("Botswana", "BWA", "BW"),
    ("Brazil", "BRA", "BR"),
    ("Bulgaria", "BGR", "BG"),
    ("Burkina Faso", "BFA", "BF"),
    ("Burundi", "BDI", "BI"),
    ("Cambodia", "KHM", "KH"),
    ("Cameroon", "CMR", "CM"),
    ("Canada", "CAN", "CA"),
    ("Chile", "CHL", "CL"),
    ("China", "CHN", "CN"),
    ("Congo, Democratic Republic of the", "COD", "CD"),
    ("Costa Rica", "CRI", "CR"),
    ("Czechia", "CZE", "CZ"),
    ("Côte d'Ivoire", "CIV", "CI"),
    ("Dominican Republic", "DOM", "DO"),
    ("Egypt", "EGY", "EG"),
    ("Ethiopia", "ETH", "ET"),
    ("Finland", "FIN", "FI"),
    ("France", "FRA", "FR"),
    ("Germany", "DEU", "DE"),
    ("Ghana", "GHA", "GH"),
    ("Greece", "GRC", "GR"),
    ("Guatemala", "GTM", "GT"),
    ("Guinea", "GIN", "GN"),
    ("Guyana", "GUY", "GY"),
    ("Haiti", "HTI", "HT"),
    ("Hong Kong", "HKG", "HK"),
    ("Hungary", "HUN", "HU"),
    ("India", "IND", "IN"),
    ("Indonesia", "IDN", "ID"),
    ("Iran", "IRN", "IR"),
    ("Iraq", "IRQ", "IQ"),
    ("Ireland", "IRL", "IE"),
    ("Israel", "ISR", "IL"),
    ("Italy", "ITA", "IT"),
    ("Japan", "JPN", "JP"),
    ("Kazakhstan", "KAZ", "KZ"),
    ("Kenya", "KEN", "KE"),
    ("South Korea", "KOR", "KR"),
    ("Kuwait", "KWT", "KW"),
    ("Kyrgyzstan", "KGZ", "KG"),
    ("Lebanon", "LBN", "LB"),
    ("Lesotho", "LSO", "LS"),
    ("Liberia", "LBR", "LR"),
    ("Libya", "LBY", "LY"),
    ("Luxembourg", "LUX", "LU"),
    ("Macao", "MAC", "MO"),
    ("Malawi", "MWI", "MW"),
    ("Malaysia", "MYS", "MY"),
    ("Mali", "MLI", "ML"),
    ("Malta", "MLT", "MT"),
    ("Mauritius", "MUS", "MU"),
    ("Mexico", "MEX", "MX"),
    ("Moldova", "MDA", "MD"),
    ("Morocco", "MAR", "MA"),
    ("Mozambique", "MOZ", "MZ"),
    ("Myanmar", "MMR", "MM"),
    ("Namibia", "NAM", "NA"),
    ("Netherlands", "NLD", "NL"),
    ("New Zealand", "NZL", "NZ"),
    ("Nigeria", "NGA", "NG"),
    ("North Korea", "PRK", "KP"),
    ("North Macedonia", "MKD", "MK"),
    ("Norway", "NOR", "NO"),
    ("Oman", "OMN", "OM"),
    ("Pakistan", "PAK", "PK"),
    ("Peru", "PER", "PE"),
    ("Philippines", "PHL", "PH"),
    ("Poland", "POL", "PL"),
    ("Portugal", "PRT", "PT"),
    ("Puerto Rico", "PRI", "PR"),
    ("Qatar", "QAT", "QA"),
    ("Romania", "ROU", "RO"),
    ("Russia", "RUS", "RU"),
    ("Rwanda", "RWA", "RW"),
    ("Saudi Arabia", "SAU", "SA"),
    ("Senegal", "SEN", "SN"),
    ("Serbia", "SRB", "RS"),
    ("Sierra Leone", "SLE", "SL"),
    ("Singapore", "SGP", "SG"),
    ("Slovakia", "SVK", "SK"),
    ("Slovenia", "SVN", "SI"),
    ("South Africa", "ZAF", "ZA"),
    ("South Sudan", "SSD", "SS"),
    ("Spain", "ESP", "ES"),
    ("Sudan", "SDN", "SD"),
    ("Eswatini", "SWZ", "SZ"),
    ("Sweden", "SWE", "SE"),
    ("Switzerland", "CHE", "CH"),
    ("Syria", "SYR", "SY"),
    ("Taiwan", "TWN", "TW"),
    ("Tanzania", "TZA", "TZ"),
    ("Thailand", "THA", "TH"),
    ("Togo", "TGO", "TG"),
    ("Trinidad and Tobago", "TTO", "TT"),
    ("Türkiye", "TUR", "TR"),
    ("United States", "USA", "US"),
    ("Uganda", "UGA", "UG"),
    ("Ukraine", "UKR", "UA"),
    ("United Arab Emirates", "ARE", "AE"),
    ("United Kingdom", "GBR", "GB"),
    ("Uzbekistan", "UZB", "UZ"),
    ("Venezuela", "VEN", "VE"),
    ("Vietnam", "VNM", "VN"),
    ("Zambia", "ZMB", "ZM"),
    ("Zimbabwe", "ZWE", "ZW"),
)
_ALIASES: dict[str, str] = {
    "Congo, DRC": "COD",
    "DR Congo": "COD",
    "Democratic Republic of the Congo": "COD",
    "Czech": "CZE",
    "Czech Republic": "CZE",
    "Korea": "KOR",
    "Republic of Korea": "KOR",
    "South Korea": "KOR",
    "USA": "USA",
    "US": "USA",
    "United States of America": "USA",
    "Swaziland": "SWZ",
    "Turkey": "TUR",
    "Turkiye": "TUR",
    "UK": "GBR",
    "Viet Nam": "VNM",
    "Cote d'Ivoire": "CIV",
    "Ivory Coast": "CIV",
    "Russian Federation": "RUS",
    "Iran, Islamic Republic of": "IRN",
    "Taiwan, China": "TWN",
    "Chinese Taipei": "TWN",
    "Macau": "MAC",
    "Hong Kong SAR": "HKG",
    "Burma": "MMR",
    "UAE": "ARE",
    "Macedonia": "MKD",
    "Tanzania, United Republic of": "TZA",
}

#: ISO alpha-3 -> (canonical English name, alpha-2)
COUNTRIES: dict[str, tuple[str, str]] = {a3: (name, a2) for name, a3, a2 in _ROWS}
_BY_NAME: dict[str, str] = {name.casefold(): a3 for name, a3, _ in _ROWS}
_BY_NAME.update({k.casefold(): v for k, v in _ALIASES.items()})
_BY_NAME.update({a3.casefold(): a3 for a3 in COUNTRIES})


def country_code(name: str | None) -> str | None:
    """ISO alpha-3 code of a country name, alias or alpha-3 code; None when unknown."""
    if name is None or name != name:
        return None
    return _BY_NAME.get(str(name).strip().casefold())


def country_codes(names: pd.Series) -> pd.Series:
    """Vectorised :func:`country_code`; unknown names give missing values."""
    return names.map(country_code)


def country_table(codes: pd.Series | list[str]) -> pd.DataFrame:
    """Country node rows (``id, name_en, iso2``) for the distinct known codes in ``codes``."""
    uniq = sorted({c for c in pd.Series(codes).dropna() if c in COUNTRIES})
    return pd.DataFrame(
        {
            "id": uniq,
            "name_en": [COUNTRIES[c][0] for c in uniq],
            "iso2": [COUNTRIES[c][1] for c in uniq],
        }
    )
