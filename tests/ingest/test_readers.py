"""Reader quirks on small files written by the tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph_schema.frames import LINE
from ingest.errors import (
    EncodingDetectionError,
    FileTooLargeError,
    IngestError,
    MissingColumnError,
)
from ingest.readers import (
    detect_encoding,
    excel_serial_to_iso,
    iter_csv,
    parse_dates,
    parse_number,
    read_csv,
    read_excel,
    read_json,
    read_parquet,
    read_table,
    require_columns,
)


def test_utf8_bom_is_stripped_from_the_first_header(tmp_path: Path) -> None:
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbfid,name\n1,Baosteel\n")
    data = read_csv(p)
    assert list(data.columns) == ["id", "name", LINE]
    assert data.loc[0, "name"] == "Baosteel"
    assert detect_encoding(p) == "utf-8-sig"


def test_gb18030_chinese_file_is_detected_and_decoded(tmp_path: Path) -> None:
    p = tmp_path / "gbk.csv"
    p.write_bytes("企业名称,省份\n宝山钢铁股份有限公司,上海\n河钢集团,河北\n".encode("gb18030"))
    assert detect_encoding(p) == "gb18030"
    data = read_csv(p)
    assert data["企业名称"].tolist() == ["宝山钢铁股份有限公司", "河钢集团"]
    assert data["省份"].tolist() == ["上海", "河北"]


def test_undecodable_file_names_file_and_byte_offset(tmp_path: Path) -> None:
    p = tmp_path / "broken.csv"
    # 0xFF is invalid in UTF-8 and as a GB18030 lead byte; it sits at byte offset 8
    p.write_bytes(b"a,b\n1,2\n\xff,3\n")
    with pytest.raises(EncodingDetectionError, match=r"broken\.csv.*offset 8"):
        read_csv(p)
    with pytest.raises(EncodingDetectionError, match=r"utf-8-sig fails at byte offset 8"):
        detect_encoding(p)


def test_cr_only_line_endings_and_line_numbers(tmp_path: Path) -> None:
    p = tmp_path / "cr.csv"
    p.write_bytes(b"\xef\xbb\xbfid,qty\r1,10\r2,20\r3,30\r")
    data = read_csv(p)
    assert data["id"].tolist() == ["1", "2", "3"]
    assert data[LINE].tolist() == [2, 3, 4]


def test_line_numbers_count_quoted_newlines_and_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "nl.csv"
    p.write_text('id,addr\n1,"a\nb"\n\n2,c\n', encoding="utf-8")
    data = read_csv(p)
    assert data["id"].tolist() == ["1", "2"]
    # row 1 starts on line 2 and spans lines 2-3, line 4 is blank, row 2 is on line 5
    assert data[LINE].tolist() == [2, 5]


def test_full_width_characters_are_nfkc_normalised(tmp_path: Path) -> None:
    p = tmp_path / "fw.csv"
    p.write_text("名称,产能\n宝钢　股份,１２３４\nＡＢＣ钢铁,５６\n", encoding="utf-8")
    data = read_csv(p)
    assert data["名称"].tolist() == ["宝钢 股份", "ABC钢铁"]
    assert data["产能"].tolist() == ["1234", "56"]
    assert parse_number(data["产能"]).tolist() == [1234.0, 56.0]


def test_thousands_separators_and_null_tokens() -> None:
    got = parse_number(pd.Series(["1,234.5", "12,000", "-3", "unknown", None, "７８%"]))
    assert got.dtype == float
    np.testing.assert_allclose(got.to_numpy(), [1234.5, 12000.0, -3.0, np.nan, np.nan, 78.0])


def test_unparseable_numbers_are_kept_for_validation() -> None:
    got = parse_number(pd.Series(["5", "abc"]))
    assert got.tolist() == [5.0, "abc"]


def test_excel_serial_dates_and_common_formats() -> None:
    assert excel_serial_to_iso(44197) == "2021-01-01"
    assert excel_serial_to_iso(1) == "1899-12-31"  # Excel shows 1900-01-01 (its leap-year bug)
    got = parse_dates(
        pd.Series(
            [
                "44197",
                "2021/3/5",
                "2021年3月5日",
                "5-Mar-21",
                "3/5/21",
                "2021-03-05",
                "Date Not Captured",
                None,
                "2017",
            ]
        )
    )
    assert got.iloc[:6].tolist() == ["2021-01-01"] + ["2021-03-05"] * 5
    assert got.iloc[6] == "Date Not Captured"  # kept, so validation can reject it
    assert pd.isna(got.iloc[7])
    assert got.iloc[8] == "2017"  # a bare year is not an Excel serial


def test_missing_required_column_names_the_column(tmp_path: Path) -> None:
    p = tmp_path / "firms.csv"
    p.write_text("id,nam\n1,x\n", encoding="utf-8")
    data = read_csv(p)
    with pytest.raises(MissingColumnError, match=r"'name'"):
        require_columns(data, ["id", "name"], p.name)


def test_file_over_the_size_limit_is_refused_but_streams_in_chunks(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_text("id,v\n" + "".join(f"{i},{i * 2}\n" for i in range(1000)), encoding="utf-8")
    with pytest.raises(FileTooLargeError, match=r"big\.csv.*iter_csv"):
        read_csv(p, max_bytes=100)
    chunks = list(iter_csv(p, chunksize=300))
    assert [len(c) for c in chunks] == [300, 300, 300, 100]
    lines = np.concatenate([c[LINE].to_numpy() for c in chunks])
    np.testing.assert_array_equal(lines, np.arange(2, 1002))
    assert chunks[-1]["v"].iloc[-1] == "1998"


def test_chunked_reader_keeps_line_numbers_across_quoted_newlines(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text('id,t\n1,"x\ny"\n2,z\n3,w\n', encoding="utf-8")
    lines = np.concatenate([c[LINE].to_numpy() for c in iter_csv(p, chunksize=1)])
    np.testing.assert_array_equal(lines, [2, 4, 5])


def test_xlsx_reader_turns_dates_and_numbers_into_text(tmp_path: Path) -> None:
    p = tmp_path / "t.xlsx"
    pd.DataFrame(
        {
            "id": ["a", "b"],
            "cap": [1200.0, 3.5],
            "day": pd.to_datetime(["2021-01-01", "2022-02-03"]),
        }
    ).to_excel(p, index=False)
    data = read_table(p)
    assert data["cap"].tolist() == ["1200", "3.5"]
    assert data["day"].tolist() == ["2021-01-01", "2022-02-03"]
    assert data[LINE].tolist() == [2, 3]
    with pytest.raises(IngestError, match="nosuch"):
        read_excel(p, sheet="nosuch")


def test_parquet_and_json_readers(tmp_path: Path) -> None:
    pq = tmp_path / "t.parquet"
    pd.DataFrame({"id": ["x", "y"], "n": [1, 2]}).to_parquet(pq)
    data = read_parquet(pq)
    assert data["n"].tolist() == ["1", "2"] and data[LINE].tolist() == [1, 2]
    js = tmp_path / "t.json"
    js.write_text(json.dumps({"firms": [{"id": "a", "name": "Ｘ"}, {"id": "b"}]}), encoding="utf-8")
    data = read_json(js)
    assert data["name"].iloc[0] == "X" and pd.isna(data["name"].iloc[1])
    jl = tmp_path / "t.jsonl"
    jl.write_text('{"id": "a"}\n{"id": "b"}\n', encoding="utf-8")
    assert read_table(jl)["id"].tolist() == ["a", "b"]


def test_unsupported_suffix_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.doc"
    p.write_text("x", encoding="utf-8")
    with pytest.raises(IngestError, match=r"'\.doc'"):
        read_table(p)
