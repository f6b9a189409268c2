FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph_schema graph_schema
COPY ingest ingest
COPY optimizers optimizers
COPY chain_brain chain_brain
COPY dashboards dashboards
RUN pip install --no-cache-dir .
USER nobody
