"""Readers for the files people actually have: CSV, XLSX, Parquet and JSON.

Every reader returns a :class:`pandas.DataFrame` of text cells (``str`` or missing) with one
extra integer column :data:`graph_schema.frames.LINE` holding the line of the source file the
row started on (1 = header for CSV, so the first data row is line 2; for spreadsheets the
sheet row number), so that rejects can name the line.  Text cells are NFKC-normalised
(full-width digits and letters become ASCII, the ideographic space a space) and stripped.

Encodings are detected, not guessed: UTF-8 (with or without a byte-order mark) first, then
GB18030 (a superset of GBK and GB2312).  A file that decodes in neither raises
:class:`~ingest.errors.EncodingDetectionError` naming the file and the byte offset at which
decoding failed.  CR-only, LF and CRLF line endings are all accepted.

Whole-file reading refuses files larger than ``max_bytes`` (1 GiB by default) with
:class:`~ingest.errors.FileTooLargeError`; :func:`iter_csv` reads any size in chunks.

Cell parsers :func:`parse_number` and :func:`parse_dates` turn text into numbers and ISO
dates; what they cannot parse is returned unchanged so that validation rejects it with its
line instead of losing it.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from graph_schema.frames import LINE
from ingest.errors import EncodingDetectionError, FileTooLargeError, IngestError, MissingColumnError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ENCODINGS",
    "NULL_TOKENS",
    "detect_encoding",
    "read_csv",
    "iter_csv",
    "read_excel",
    "read_parquet",
    "read_json",
    "read_table",
    "normalize_text",
    "require_columns",
    "parse_number",
    "parse_dates",
    "excel_serial_to_iso",
]

DEFAULT_MAX_BYTES: int = 1 << 30
ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
#: Cell texts that mean "no value" (compared case-insensitively after stripping).
NULL_TOKENS: frozenset[str] = frozenset(
    {"", "na", "n/a", "nan", "none", "null", "unknown", "-", "--", "n.a.", "not available"}
)
_BLOCK = 1 << 20
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 given Excel's 1900 leap-year bug
# Date formats tried in order; slash dates are read month first (US), as in the SCMS data.
_DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y%m%d",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%m/%d/%y",
    "%m/%d/%Y",
    "%d.%m.%Y",
)


# --------------------------------------------------------------------------- encoding


def _first_bad_offset(path: Path, encoding: str) -> int | None:
    """Byte offset of the first undecodable byte of ``path`` in ``encoding`` (None if clean)."""
    name = codecs.lookup(encoding).name
    skip = 0
    if name == "utf-8-sig":  # decode as UTF-8 after the byte-order mark
        with path.open("rb") as fh:
            skip = 3 if fh.read(3) == codecs.BOM_UTF8 else 0
        name = "utf-8"
    decoder = codecs.getincrementaldecoder(name)()
    consumed = skip
    with path.open("rb") as fh:
        fh.seek(skip)
        while True:
            block = fh.read(_BLOCK)
            final = not block
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                return consumed - pending + exc.start
            if final:
                return None
            consumed += len(block)


def detect_encoding(path: str | Path, candidates: Sequence[str] = ENCODINGS) -> str:
    """Return the first of ``candidates`` in which the whole file decodes.

    Raises
    ------
    EncodingDetectionError
        Naming the file and, per candidate, the byte offset where decoding failed.
    """
    path = Path(path)
    failures: list[str] = []
    for enc in candidates:
        bad = _first_bad_offset(path, enc)
        if bad is None:
            return enc
        failures.append(f"{enc} fails at byte offset {bad}")
    raise EncodingDetectionError(
        f"Cannot decode {path.name}: {'; '.join(failures)}. Convert the file to UTF-8 or pass "
        "encoding= explicitly."
    )


def _decode(path: Path, encoding: str | None) -> tuple[str, str]:
    raw = path.read_bytes()
    encs = (encoding,) if encoding else ENCODINGS
    failures: list[str] = []
    for enc in encs:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as exc:
            failures.append(f"{enc} fails at byte offset {exc.start}")
        except LookupError:
            raise IngestError(f"Unknown encoding {enc!r} for {path.name}.") from None
    raise EncodingDetectionError(
        f"Cannot decode {path.name}: {'; '.join(failures)}. Convert the file to UTF-8 or pass "
        "encoding= explicitly."
    )


def _check_size(path: Path, max_bytes: int) -> None:
    if not path.exists():
        raise IngestError(f"No such file: {path}.")
    size = path.stat().st_size
    if size > max_bytes:
        raise FileTooLargeError(
            f"{path.name} is {size:,} bytes, over the limit of {max_bytes:,} bytes for reading "
            "whole; read it with iter_csv(path, chunksize=...) or raise max_bytes."
        )


# --------------------------------------------------------------------------- cells


def _nfkc(text: pd.Series) -> pd.Series:
    """NFKC-normalise the non-ASCII cells of a series of ``str`` and strip all of them."""
    text = text.astype(object)
    non_ascii = ~text.str.isascii().to_numpy(dtype=bool)
    if non_ascii.any():
        text = text.copy()
        text.iloc[non_ascii] = [unicodedata.normalize("NFKC", v) for v in text.iloc[non_ascii]]
    return text.str.strip()


def normalize_text(data: pd.DataFrame) -> pd.DataFrame:
    """NFKC-normalise and strip every text cell; empty strings become missing.

    Only non-ASCII cells go through :func:`unicodedata.normalize`, which keeps this fast on
    mostly-ASCII files.
    """
    out = data.copy()
    for col in out.columns:
        if col == LINE:
            continue
        s = out[col]
        if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
            # pandas' own string dtype: vectorised strip and ASCII test, Python only for the rest
            t = s.str.strip()
            non_ascii = (t.notna() & ~t.str.isascii().fillna(True).astype(bool)).to_numpy(
                dtype=bool
            )
            if non_ascii.any():
                t = t.copy()
                t.iloc[non_ascii] = [
                    unicodedata.normalize("NFKC", v).strip() for v in t.iloc[non_ascii]
                ]
            out[col] = t.where(t != "")
            continue
        if not pd.api.types.is_object_dtype(s):
            continue
        text_mask = np.fromiter((isinstance(v, str) for v in s), dtype=bool, count=len(s))
        values = s.to_numpy(dtype=object, na_value=None).copy()
        if text_mask.any():
            text = _nfkc(pd.Series(values[text_mask], dtype=object))
            cleaned = np.array(text.to_numpy(dtype=object), dtype=object)
            cleaned[(text == "").to_numpy(dtype=bool)] = None
            values[text_mask] = cleaned
        out[col] = pd.Series(values, index=out.index, dtype=object)
    return out


def require_columns(data: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """Raise :class:`MissingColumnError` naming every column of ``columns`` absent from ``data``."""
    missing = [c for c in columns if c not in data.columns]
    if missing:
        have = ", ".join(repr(c) for c in data.columns if c != LINE)
        raise MissingColumnError(
            f"{source} lacks column(s) {', '.join(repr(c) for c in missing)}; it has {have}."
        )


def parse_number(values: pd.Series) -> pd.Series:
    """Numbers from text cells: ``"1,234.5"`` -> 1234.5, ``"12%"`` -> 12.0, null tokens -> NaN.

    Cells that are not numbers stay as they are (so validation reports them with their line).
    """
    raw = values.to_numpy(dtype=object, na_value=None)
    present = pd.notna(raw)
    out = np.full(len(raw), np.nan, dtype=float)
    if not present.any():
        return pd.Series(out, index=values.index)
    idx = np.flatnonzero(present)
    if pd.api.types.is_numeric_dtype(values) or (
        pd.api.types.is_string_dtype(values) and not pd.api.types.is_object_dtype(values)
    ):
        every = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        direct = every[idx]
    else:
        direct = pd.to_numeric(pd.Series(raw[present], dtype=object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    out[idx] = direct
    slow = idx[np.isnan(direct)]
    if slow.size == 0:
        return pd.Series(out, index=values.index)
    text = _nfkc(pd.Series(raw[slow], dtype=object).astype(str))
    is_null = text.str.lower().isin(NULL_TOKENS).to_numpy(dtype=bool)
    cleaned = text.where(~text.str.match(_THOUSANDS), text.str.replace(",", "", regex=False))
    cleaned = cleaned.str.replace(r"^([+-]?[\d.]+)\s*%$", r"\1", regex=True)
    num = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    out[slow] = num
    unparsed = ~is_null & np.isnan(num)
    if not unparsed.any():
        return pd.Series(out, index=values.index)
    mixed = out.astype(object)
    mixed[slow[unparsed]] = text.to_numpy(dtype=object, copy=True)[unparsed]
    return pd.Series(mixed, index=values.index, dtype=object)


def excel_serial_to_iso(serial: float) -> str:
    """ISO date of an Excel serial day number (1900 date system), e.g. 44197 -> 2021-01-01."""
    return (_EXCEL_EPOCH + timedelta(days=int(serial))).isoformat()


def parse_dates(values: pd.Series, *, excel_serials: bool = True) -> pd.Series:
    """ISO ``YYYY-MM-DD`` strings from the common date spellings and Excel serial numbers.

    Recognised: ISO dates and timestamps, ``2021/3/5``, ``2021.3.5``, ``2021年3月5日``,
    ``20210305``, ``5-Mar-21``, ``Mar 5, 2021``, ``3/5/21`` and ``3/5/2021`` (month first,
    the US convention of the SCMS data), ``05.03.2021`` (day first), and with
    ``excel_serials`` numbers between 1 and 2958465 that are not four-digit years.
    Null tokens give missing values; anything else is returned unchanged so validation
    rejects it.
    """
    raw = values.to_numpy(dtype=object, na_value=None)
    present = pd.notna(raw)
    result = np.full(len(raw), None, dtype=object)
    if not present.any():
        return pd.Series(result, index=values.index, dtype=object)
    idx = np.flatnonzero(present)
    # fast path: cells already in ISO form
    iso = pd.to_datetime(pd.Series(raw[idx], dtype=object), format="%Y-%m-%d", errors="coerce")
    iso_ok = iso.notna().to_numpy(dtype=bool)
    if iso_ok.all():
        result[idx] = iso.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        return pd.Series(result, index=values.index, dtype=object)
    if iso_ok.any():
        result[idx[iso_ok]] = iso[iso_ok].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        idx = idx[~iso_ok]
    text = _nfkc(pd.Series(raw[idx], dtype=object).astype(str))
    done = np.array(text.str.lower().isin(NULL_TOKENS).to_numpy(dtype=bool), dtype=bool)
    sub = np.full(len(idx), None, dtype=object)
    if excel_serials:
        num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            serial = ~done & ~np.isnan(num) & (num >= 1) & (num <= 2958465) & (num == np.floor(num))
        serial = serial & ~text.str.fullmatch(r"\d{4}").to_numpy(dtype=bool)
        if serial.any():
            sub[serial] = [excel_serial_to_iso(v) for v in num[serial]]
            done |= serial
    for fmt in _DATE_FORMATS:
        if done.all():
            break
        todo = np.flatnonzero(~done)
        parsed = pd.to_datetime(text.iloc[todo], format=fmt, errors="coerce")
        ok = parsed.notna().to_numpy(dtype=bool)
        if ok.any():
            sub[todo[ok]] = parsed[ok].dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
            done[todo[ok]] = True
    is_null = text.str.lower().isin(NULL_TOKENS).to_numpy(dtype=bool)
    left = ~done
    sub[left] = text.to_numpy(dtype=object)[left]
    sub[is_null] = None
    result[idx] = sub
    return pd.Series(result, index=values.index, dtype=object)


# --------------------------------------------------------------------------- CSV


def _physical_lines(data: pd.DataFrame, header_lines: int, first_line: int) -> np.ndarray:
    """Line number each row starts on, counting newlines inside quoted cells."""
    n = len(data)
    extra = np.zeros(n, dtype=np.int64)
    for col in data.columns:
        s = data[col]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        has_nl = s.str.contains("\n", regex=False, na=False).to_numpy(dtype=bool)
        if has_nl.any():
            extra[has_nl] += s[has_nl].str.count("\n").to_numpy(dtype=np.int64)
    starts = first_line + header_lines + np.arange(n, dtype=np.int64)
    starts[1:] += np.cumsum(extra)[:-1]
    return starts


def _finish(data: pd.DataFrame, normalize: bool) -> pd.DataFrame:
    """Drop blank rows (after numbering) and normalise text."""
    cells = data.drop(columns=[LINE])
    blank = cells.isna().all(axis=1).to_numpy(dtype=bool)
    if blank.any():
        data = data[~blank]
    data = data.reset_index(drop=True)
    return normalize_text(data) if normalize else data


def _read_csv_text(
    handle: io.StringIO | Path,
    *,
    sep: str,
    encoding: str | None,
    chunksize: int | None,
) -> pd.DataFrame | Iterator[pd.DataFrame]:
    return pd.read_csv(  # type: ignore[call-overload,no-any-return]
        handle,
        sep=sep,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        encoding=encoding,
        chunksize=chunksize,
    )


def read_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    sep: str = ",",
    max_bytes: int = DEFAULT_MAX_BYTES,
    normalize: bool = True,
) -> pd.DataFrame:
    """Read a whole CSV file into text cells plus the :data:`~graph_schema.frames.LINE` column.

    Parameters
    ----------
    path
        The file.
    encoding
        Force an encoding; by default UTF-8 (BOM or not), then GB18030.
    sep
        Field separator.
    max_bytes
        Refuse larger files (use :func:`iter_csv`).
    normalize
        NFKC-normalise and strip text cells.
    """
    path = Path(path)
    _check_size(path, max_bytes)
    text, _ = _decode(path, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        data = _read_csv_text(io.StringIO(text), sep=sep, encoding=None, chunksize=None)
    except pd.errors.EmptyDataError:
        raise IngestError(f"{path.name} is empty; expected a header line.") from None
    except pd.errors.ParserError as exc:
        raise IngestError(f"{path.name} is not a well-formed CSV file: {exc}") from None
    assert isinstance(data, pd.DataFrame)
    header_lines = 1 + sum(str(c).count("\n") for c in data.columns)
    data[LINE] = _physical_lines(data, header_lines, 1)
    return _finish(data, normalize)


def iter_csv(
    path: str | Path,
    *,
    chunksize: int = 200_000,
    encoding: str | None = None,
    sep: str = ",",
    normalize: bool = True,
) -> Iterator[pd.DataFrame]:
    """Read a CSV file of any size in chunks of ``chunksize`` rows, numbered like :func:`read_csv`.

    The encoding is detected on the whole file in one streaming pass before reading.
    """
    path = Path(path)
    _check_size(path, np.iinfo(np.int64).max)
    enc = encoding or detect_encoding(path)
    reader = _read_csv_text(path, sep=sep, encoding=enc, chunksize=chunksize)
    next_line: int | None = None
    for chunk in reader:
        assert isinstance(chunk, pd.DataFrame)
        if next_line is None:
            header_lines = 1 + sum(str(c).count("\n") for c in chunk.columns)
            chunk[LINE] = _physical_lines(chunk, header_lines, 1)
        else:
            chunk[LINE] = _physical_lines(chunk, 0, next_line)
        if len(chunk):
            last = chunk.iloc[-1]
            nl = sum(str(v).count("\n") for v in last.drop(labels=[LINE]) if isinstance(v, str))
            next_line = int(chunk[LINE].iloc[-1]) + nl + 1
        yield _finish(chunk, normalize)


# --------------------------------------------------------------------------- other formats


def _as_text_frame(data: pd.DataFrame, first_line: int, normalize: bool) -> pd.DataFrame:
    data = data.reset_index(drop=True)
    data.columns = [str(c).strip() for c in data.columns]
    out = pd.DataFrame(
        {c: data[c].map(lambda v: None if _is_missing(v) else _cell_text(v)) for c in data.columns}
    )
    out[LINE] = np.arange(first_line, first_line + len(out), dtype=np.int64)
    return _finish(out, normalize)


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT


def _cell_text(v: object) -> object:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if v.time() == time(0) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple, dict)):
        return v
    return str(v)


def read_excel(
    path: str | Path,
    *,
    sheet: str | int = 0,
    header: int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    normalize: bool = True,
) -> pd.DataFrame:
    """Read one sheet of an XLSX workbook; ``_line`` is the sheet row number (1-based).

    Date cells become ISO dates; numbers become their text (whole numbers without ``.0``) so
    that all readers return the same kind of frame; parse them with :func:`parse_number`.
    """
    path = Path(path)
    _check_size(path, max_bytes)
    try:
        data = pd.read_excel(path, sheet_name=sheet, header=header, dtype=object)
    except ValueError as exc:
        raise IngestError(f"Cannot read sheet {sheet!r} of {path.name}: {exc}") from None
    return _as_text_frame(data, header + 2, normalize)


def read_parquet(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, normalize: bool = True
) -> pd.DataFrame:
    """Read a Parquet file; ``_line`` is the 1-based row number."""
    path = Path(path)
    _check_size(path, max_bytes)
    return _as_text_frame(pd.read_parquet(path), 1, normalize)


def read_json(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, normalize: bool = True
) -> pd.DataFrame:
    """Read a JSON array of objects, an object holding one such array, or JSON Lines.

    ``_line`` is the 1-based record number (the line number for JSON Lines).
    """
    path = Path(path)
    _check_size(path, max_bytes)
    text, _ = _decode(path, None)
    text = text.lstrip("\ufeff")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        try:
            doc = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise IngestError(
                f"{path.name} is neither JSON nor JSON Lines: {exc.msg} at line {exc.lineno}."
            ) from None
    if isinstance(doc, dict):
        arrays = [v for v in doc.values() if isinstance(v, list)]
        if len(arrays) != 1:
            raise IngestError(
                f"{path.name} is a JSON object; expected an array of records or an object "
                "holding exactly one array."
            )
        doc = arrays[0]
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise IngestError(f"{path.name} must hold a list of JSON objects (records).")
    return _as_text_frame(pd.DataFrame.from_records(doc), 1, normalize)


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    sep: str = ",",
    sheet: str | int = 0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> pd.DataFrame:
    """Read ``path`` with the reader its suffix calls for (.csv/.txt/.tsv, .xlsx, .parquet, .json)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return read_csv(path, encoding=encoding, sep=sep, max_bytes=max_bytes)
    if suffix == ".tsv":
        return read_csv(path, encoding=encoding, sep="\t", max_bytes=max_bytes)
    if suffix in (".xlsx", ".xlsm"):
        return read_excel(path, sheet=sheet, max_bytes=max_bytes)
    if suffix in (".parquet", ".pq"):
        return read_parquet(path, max_bytes=max_bytes)
    if suffix in (".json", ".jsonl", ".ndjson"):
        return read_json(path, max_bytes=max_bytes)
    raise IngestError(
        f"Unsupported file type {suffix!r} of {path.name}; expected .csv, .tsv, .txt, .xlsx, "
        ".parquet, .json or .jsonl."
    )
