"""Ingest: upload a file with its mapping, load it as a job, read the run report and the
rejected rows.  The work is done by :func:`chain_brain.services.loading.ingest_upload`."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import Depends, File, Form, Response, UploadFile, status

from chain_brain.api.deps import JobsDep, StoreDep, allow, service
from chain_brain.api.models import JobPublic, jsonable
from chain_brain.api.problems import responses
from chain_brain.api.runs import runs_router, start_job
from chain_brain.services.jobs import ProgressFn
from chain_brain.services.security import Permission, Principal
from chain_brain.store import RunRecord
from graph_schema.errors import ValidationError

KIND = "ingest"
router = runs_router(KIND, "/ingest", "ingest")
Loader = Annotated[Principal, Depends(allow(Permission.INGEST))]


def _save(upload: UploadFile, folder: Path, fallback: str) -> Path:
    name = Path(upload.filename or fallback).name or fallback
    if name.startswith("."):
        raise ValidationError(f"Upload file name {upload.filename!r} is not allowed.")
    path = folder / name
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return path


@router.post(
    "",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(403, 501),
)
def ingest(
    file: Annotated[UploadFile, File(description="the data file (CSV, XLSX, ...)")],
    mapping: Annotated[UploadFile, File(description="the mapping (YAML) of its columns")],
    store: StoreDep,
    jobs: JobsDep,
    principal: Loader,
    response: Response,
    dry_run: Annotated[bool, Form()] = False,
) -> JobPublic:
    """Validate and load an uploaded file as a job; the result is a run of kind ``ingest``
    with tables ``entities`` (read/loaded/rejected per entity) and ``rejects``."""
    ingest_upload = service("loading", "ingest_upload")
    folder = Path(tempfile.mkdtemp(prefix="chain-brain-upload-"))
    path = _save(file, folder, "data")
    mapping_path = _save(mapping, folder, "mapping.yaml")
    if path == mapping_path:
        raise ValidationError(f"The data file and the mapping share the name {path.name!r}.")

    def work(progress: ProgressFn) -> RunRecord:
        try:
            report = ingest_upload(store, path, mapping_path, dry_run, progress)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        summary = report.to_dict() if hasattr(report, "to_dict") else jsonable(report)
        tables = {}
        for name, attr in (("entities", "table"), ("rejects", "rejects")):
            frame = getattr(report, attr, None)
            if frame is not None:
                tables[name] = frame.astype(str) if name == "rejects" else frame
        return RunRecord(
            kind=KIND,
            id=uuid.uuid4().hex,
            params={"file": path.name, "dry_run": dry_run},
            summary=jsonable(summary),
            tables=tables,
        )

    return start_job(
        jobs, store, principal, response, KIND, work, {"file": path.name, "dry_run": dry_run}
    )
