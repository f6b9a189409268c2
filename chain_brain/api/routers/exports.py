"""Exports of a snapshot as CSV or Parquet (a zip of one file per table) or GraphML,
written by :func:`chain_brain.services.store_admin.export_snapshot`."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from chain_brain.api.deps import StoreDep, allow
from chain_brain.api.problems import responses
from chain_brain.services.security import Permission, Principal, audit, view_for
from chain_brain.services.store_admin import export_snapshot
from chain_brain.store import Scope

router = APIRouter(prefix="/exports", tags=["exports"])
Exporter = Annotated[Principal, Depends(allow(Permission.EXPORT))]
_MEDIA = {
    "csv": "application/zip",
    "parquet": "application/zip",
    "graphml": "application/graphml+xml",
}


@router.get(
    "",
    response_class=Response,
    responses={
        **responses(403, 404),
        200: {"description": "the export file", "content": {m: {} for m in set(_MEDIA.values())}},
    },
)
def export(
    store: StoreDep,
    principal: Exporter,
    format: Annotated[Literal["csv", "parquet", "graphml"], Query()] = "csv",  # noqa: A002
    chain: Annotated[str | None, Query(max_length=200)] = None,
    region: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """A snapshot of the graph (or one chain / region) as CSV, Parquet or GraphML."""
    scope = Scope(chain=chain, region=region)
    view = view_for(store, principal)
    with tempfile.TemporaryDirectory(prefix="chain-brain-export-") as tmp:
        out = Path(tmp) / ("graph.graphml" if format == "graphml" else "tables")
        files = export_snapshot(view, out, fmt=format, scope=scope)
        if format == "graphml":
            body, name = files[0].read_bytes(), "chain-brain.graphml"
        else:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in files:
                    zf.write(f, f.name)
            body, name = buf.getvalue(), f"chain-brain-{format}.zip"
    audit(
        store, principal, "export", f"snapshot:{format}", detail={"chain": chain, "region": region}
    )
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
