"""The ``chain-brain`` command line.

Every command takes ``--store`` (a file path for the embedded store, or a ``neo4j://`` /
``bolt://`` URI); without it the ``CHAIN_BRAIN_STORE`` environment variable or the default
``.chain-brain/chain-brain.db`` is used.  Commands call :mod:`chain_brain.services` and print
their results; project errors are printed as one line and exit with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from chain_brain.settings import Settings
from graph_schema.errors import ChainBrainError

__all__ = ["app", "main"]

app = typer.Typer(
    name="chain-brain",
    help="Industry-chain digital brain: load chains, find chokepoints, plan for disruptions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
neo4j_app = typer.Typer(help="Run a local Neo4j 5.26 server (embedded DBMS with Bolt).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
key_app = typer.Typer(help="API keys: create one for a role (and a chain-lead's chain).", no_args_is_help=True)
app.add_typer(key_app, name="api-key")
twins_app = typer.Typer(help="Per-plant digital twins: create, feed telemetry, state, forecast.", no_args_is_help=True)
app.add_typer(twins_app, name="twins")

DEMO_CHAIN = "chain:steel"
DEMO_LEAD = "apple:apple-inc"

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", "-s", help="Store: file path (embedded) or neo4j:// / bolt:// URI."),
]
ChainOpt = Annotated[str | None, typer.Option("--chain", help="Chain id, e.g. steel.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Region or ISO3 country id.")]


def _console() -> Console:
    # piped or captured output gets wide tables instead of an 80-column wrap
    width = None if sys.stdout.isatty() else 160
    return Console(soft_wrap=True, emoji=False, highlight=False, width=width)


def _settings(store: str | None) -> Settings:
    return Settings(store=store) if store else Settings()


def _open(store: str | None) -> Any:
    return _settings(store).open_store()


def _counts_table(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column("kind")
    table.add_column("count", justify="right")
    for kind, n in counts.items():
        table.add_row(kind, f"{n:,}")
    return table


@app.command()
def init(store: StoreOpt = None) -> None:
    """Create (or migrate) the store's schema."""
    s = _settings(store).open_store(migrate=True)
    version = s.init()
    _console().print(f"store {s.uri} initialised at schema version {version}")


@app.command()
def status(store: StoreOpt = None) -> None:
    """Schema version and counts of the store."""
    from chain_brain.services.store_admin import store_status

    st = store_status(_open(store))
    con = _console()
    con.print(f"store {st.uri}: schema version {st.schema_version} (code {st.code_schema_version})")
    con.print(_counts_table("contents", st.counts))
    con.print(f"{st.nodes:,} nodes, {st.relationships:,} relationships, {st.runs} stored runs")


@app.command("load-sample")
def load_sample(store: StoreOpt = None) -> None:
    """Load the bundled real sample (GEM steel plants, Apple supplier list)."""
    from chain_brain.services.loading import load_sample as _load

    report = _load(_open(store), progress=True)
    _console().print(report.render())


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Folder (csv/parquet) or file (graphml).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, parquet or graphml")] = "csv",
    store: StoreOpt = None,
    chain: ChainOpt = None,
    region: RegionOpt = None,
    focus: Annotated[str | None, typer.Option(help="Firm or plant id: its neighbourhood.")] = None,
    tiers: Annotated[int, typer.Option(help="Supply tiers around --focus.")] = 1,
    direction: Annotated[str, typer.Option(help="up, down or both")] = "both",
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date")] = None,
) -> None:
    """Export a snapshot (whole graph, one chain / region / neighbourhood)."""
    from chain_brain.services.store_admin import export_snapshot
    from chain_brain.store import Scope

    scope = Scope(chain=chain, region=region, focus=focus, tiers=tiers, direction=direction, as_of=as_of)  # type: ignore[arg-type]
    files = export_snapshot(_open(store), out, fmt=fmt, scope=scope)  # type: ignore[arg-type]
    _console().print(f"wrote {len(files)} file(s) to {out}")


def _scope(
    chain: str | None = None,
    region: str | None = None,
    focus: str | None = None,
    tiers: int = 1,
    direction: str = "both",
    as_of: str | None = None,
) -> Any:
    from chain_brain.store import Scope

    if direction not in ("up", "down", "both"):
        raise typer.BadParameter(f"--direction must be up, down or both, got {direction!r}")
    return Scope(chain=chain, region=region, focus=focus, tiers=tiers, direction=direction, as_of=as_of)  # type: ignore[arg-type]


def _print_analysis(con: Console, run: Any, top: int) -> None:
    from chain_brain.services.reports import analysis_tables

    con.print(
        f"analysis run [bold]{run.id}[/bold]: {run.summary.get('nodes', 0):,} nodes, "
        f"{run.summary.get('supply_edges', 0):,} supply edges, "
        f"{run.summary.get('chokepoints', 0)} chokepoint(s), {run.summary.get('weak_links', 0)} weak link(s) "
        f"in {run.summary.get('seconds', 0)} s"
    )
    for title, frame in analysis_tables(run, top=top):
        table = Table(title=title, show_lines=False)
        for col in frame.columns:
            table.add_column(str(col), overflow="fold")
        for row in frame.itertuples(index=False):
            table.add_row(*[_fmt(v) for v in row])
        con.print(table)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


@app.command()
def analyse(
    store: StoreOpt = None,
    chain: ChainOpt = None,
    region: RegionOpt = None,
    focus: Annotated[str | None, typer.Option(help="Firm or plant id: analyse its neighbourhood.")] = None,
    tiers: Annotated[int, typer.Option(help="Supply tiers around --focus.")] = 2,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date")] = None,
    top: Annotated[int, typer.Option(help="Rows per table in the report.")] = 10,
    out: Annotated[Path | None, typer.Option(help="Also write every table to this folder.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet for --out")] = "csv",
) -> None:
    """Find chokepoints, weak links, critical nodes and cascades; store the run."""
    from chain_brain.services.analysis import AnalysisRequest
    from chain_brain.services.analysis import analyse as run

    s = _open(store)
    settings = _settings(store)
    req = AnalysisRequest(
        scope=_scope(chain, region, focus, tiers, "both", as_of),
        home_countries=tuple(settings.home_countries),
    )
    result = run(s, req, progress=True)
    con = _console()
    _print_analysis(con, result, top)
    if out is not None:
        from chain_brain.services.reports import export_run

        files = export_run(result, out, fmt=fmt)
        con.print(f"wrote {len(files)} table(s) to {out}")


@app.command()
def demo(
    store: StoreOpt = None,
    top: Annotated[int, typer.Option(help="Rows per table in the report.")] = 8,
) -> None:
    """The main job: load the bundled sample into the store, analyse the steel chain and
    Apple's supplier network, and run a disruption what-if."""
    from chain_brain.services.analysis import AnalysisRequest
    from chain_brain.services.analysis import analyse as run
    from chain_brain.services.chains import chain_map
    from chain_brain.services.loading import load_sample as load

    con = _console()
    s = _open(store)
    con.rule("1. load the bundled real sample")
    con.print(load(s, progress=True).render())
    con.rule("2. the steel chain (钢铁产业链) by segment")
    cmap = chain_map(s, DEMO_CHAIN)
    seg = cmap.segments[["order", "name_zh", "name_en", "position", "products", "firms", "plants", "capacity", "capacity_unit"]]
    con.print(seg.to_string(index=False))
    con.rule("3. chokepoints and weak links of the steel chain")
    _print_analysis(con, run(s, AnalysisRequest(scope=_scope(chain=DEMO_CHAIN)), progress=True), top)
    con.rule("4. Apple's supplier network as a chain lead sees it (tier 1, suppliers listed in 2022)")
    req = AnalysisRequest(scope=_scope(focus=DEMO_LEAD, tiers=1, direction="up", as_of="2022-06-30"))
    _print_analysis(con, run(s, req, progress=True), top)
    con.rule("5. what-if: Apple's suppliers in Taiwan stop for 6 weeks")
    from chain_brain.services.scenarios import ScenarioSpec, run_scenario

    spec = ScenarioSpec(
        name="Taiwan suppliers down 6 weeks",
        scope=req.scope,
        regions=("TWN",),
        ttr_weeks=6.0,
        sweep=True,
    )
    _print_scenario(con, run_scenario(s, spec), top)
    con.rule("next")
    con.print(
        f"store: {s.uri}\n"
        "chain-brain status | chain-brain analyse --chain chain:steel --out results/ | "
        "chain-brain scenario -d gem:P100000120439 --weeks 6 --chain chain:steel | "
        "chain-brain serve | chain-brain dashboard"
    )


@neo4j_app.command("start")
def neo4j_start(
    data_dir: Annotated[Path, typer.Option(help="Database folder.")] = Path(".chain-brain/neo4j"),
    port: Annotated[int, typer.Option(help="Bolt port on 127.0.0.1.")] = 7687,
    wait: Annotated[float, typer.Option(help="Seconds to wait for Bolt.")] = 120.0,
    heap: Annotated[str, typer.Option(help="JVM heap, e.g. 2g; rewriting stored data runs in one transaction of about 5 KB per row.")] = "2g",
    pagecache: Annotated[str, typer.Option(help="Page cache, e.g. 2g (allocated as used).")] = "2g",
) -> None:
    """Start Neo4j in the background and wait until Bolt answers."""
    from chain_brain import neo4j_server

    info = neo4j_server.start(data_dir, port, wait=wait, heap=heap, pagecache=pagecache)
    _console().print(f"neo4j running: {info}")


@neo4j_app.command("abandon-load")
def neo4j_abandon_load(
    token: Annotated[str | None, typer.Argument(help="Token of the bulk load to undo (see `neo4j abandon-load` without one).")] = None,
    store: StoreOpt = None,
) -> None:
    """Undo a bulk load into Neo4j whose process died: without TOKEN, show the load in progress."""
    from chain_brain.store.neo4j import Neo4jStore

    s = _open(store)
    if not isinstance(s, Neo4jStore):
        raise typer.BadParameter(f"{s.uri!r} is not a Neo4j store; only Neo4j bulk loads hold a lease.")
    lease = s.bulk_load_in_progress()
    con = _console()
    if token is None:
        con.print("no bulk load in progress" if lease is None else f"bulk load in progress: {lease}")
        return
    removed = s.abandon_bulk_load(token)
    con.print(f"bulk load {token} undone: {removed:,} nodes and relationships removed")


@neo4j_app.command("stop")
def neo4j_stop(
    data_dir: Annotated[Path, typer.Option(help="Database folder.")] = Path(".chain-brain/neo4j"),
) -> None:
    """Stop the Neo4j started from ``data_dir``."""
    from chain_brain import neo4j_server

    neo4j_server.stop(data_dir)
    _console().print("neo4j stopped")


@neo4j_app.command("status")
def neo4j_status(
    data_dir: Annotated[Path, typer.Option(help="Database folder.")] = Path(".chain-brain/neo4j"),
) -> None:
    """Say whether Neo4j runs (exit 1 if not)."""
    from chain_brain import neo4j_server

    info = neo4j_server.status(data_dir)
    if info is None:
        _console().print("neo4j not running")
        raise typer.Exit(1)
    _console().print(f"neo4j running: {info}")


@app.command()
def scenario(
    disrupt: Annotated[list[str] | None, typer.Option("--disrupt", "-d", help="Firm or plant id that goes down (repeatable).")] = None,
    region: Annotated[list[str] | None, typer.Option("--region-down", help="Region or ISO3 country that goes down (repeatable).")] = None,
    weeks: Annotated[float, typer.Option("--weeks", help="Time to recover, in weeks.")] = 4.0,
    name: Annotated[str, typer.Option(help="A name for the stored scenario.")] = "what-if",
    store: StoreOpt = None,
    chain: ChainOpt = None,
    focus: Annotated[str | None, typer.Option(help="Firm or plant id: use its neighbourhood.")] = None,
    tiers: Annotated[int, typer.Option(help="Supply tiers around --focus.")] = 2,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date")] = None,
    sweep: Annotated[bool, typer.Option(help="Also compute the TTR loss and TTS of every node, firm and region.")] = False,
    workers: Annotated[int, typer.Option(help="Processes for --sweep.")] = 1,
    cover: Annotated[float, typer.Option(help="Weeks of inventory where none is recorded.")] = 2.0,
    utilisation: Annotated[float, typer.Option(help="Baseline share of capacity in use.")] = 0.85,
    twins: Annotated[bool, typer.Option(help="Use plant-twin capacity where twins exist.")] = True,
    top: Annotated[int, typer.Option(help="Rows per table.")] = 10,
) -> None:
    """Disruption what-if: lost demand, time-to-survive vs time-to-recover; stored as a run."""
    from chain_brain.services.networks import NetworkAssumptions
    from chain_brain.services.scenarios import ScenarioSpec, run_scenario

    spec = ScenarioSpec(
        name=name,
        scope=_scope(chain=chain, focus=focus, tiers=tiers, direction="up", as_of=as_of),
        disrupted=tuple(disrupt or ()),
        regions=tuple(region or ()),
        ttr_weeks=weeks,
        assumptions=NetworkAssumptions(utilisation=utilisation, weeks_of_cover=cover),
        sweep=sweep,
        use_twins=twins,
        sweep_workers=workers,
    )
    run = run_scenario(_open(store), spec)
    _print_scenario(_console(), run, top)


def _print_scenario(con: Console, run: Any, top: int) -> None:
    s = run.summary
    tts = "unbounded" if s.get("tts_weeks") is None else f"{s['tts_weeks']:.2f}"
    con.print(
        f"scenario [bold]{run.id}[/bold] ({s['name']}): {s['disrupted_nodes']} node(s) down for "
        f"{s['ttr_weeks']} weeks; lost {s['loss']:,.1f} of {s['demand_over_ttr']:,.1f} demanded "
        f"({100 * s['lost_share']:.2f}%); time to survive {tts} weeks"
        + (" -> [red]recovery takes longer than the chain survives[/red]" if s["needs_attention"] else "")
    )
    for note in s.get("notes", []):
        con.print(f"note: {note}")
    plan = s.get("plan") or {}
    if plan.get("lanes"):
        con.print(
            f"reallocation plan: {plan['demands']} lost supply line(s), {plan['offers']} alternative "
            f"source(s), cost {plan['cost']:,.1f} of which unmet demand {plan['cost_lost_demand']:,.1f}"
        )
    elif plan.get("note"):
        con.print(f"reallocation plan: {plan['note']}")
    for key, title in (
        ("impact", "Finished output lost"),
        ("plan", "Reallocation: who ships what to whom"),
        ("nodes", "Every node: TTR loss vs TTS"),
        ("groups", "Every firm (with its plants) and region: TTR loss vs TTS"),
    ):
        table = run.tables.get(key)
        if table is None or not len(table):
            continue
        if key == "nodes":
            table = table.sort_values(["needs_attention", "loss"], ascending=False)
            table = table[["node", "name", "country", "ttr", "tts", "loss", "risk_exposure", "needs_attention"]]
            table = table.assign(name=table["name"].astype(str).str.replace("\n", " ").str.slice(0, 40))
        if key == "groups":
            table = table.sort_values(["needs_attention", "loss"], ascending=False)
            table = table[["scenario", "n_members", "ttr", "tts", "loss", "risk_exposure", "needs_attention"]]
        con.print(title)
        con.print(table.head(top).to_string(index=False))


@app.command()
def strengthen(
    budget: Annotated[float, typer.Option(help="Most the funded options may cost.")],
    store: StoreOpt = None,
    chain: ChainOpt = None,
    region: RegionOpt = None,
    focus: Annotated[str | None, typer.Option(help="Firm or plant id: strengthen its supply base.")] = None,
    tiers: Annotated[int, typer.Option(help="Supply tiers around --focus.")] = 2,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date")] = None,
    twins: Annotated[bool, typer.Option(help="Use plant-twin capacity where twins exist.")] = True,
    objective: Annotated[
        str, typer.Option(help="max_min_tts (weakest node survives longest) or min_worst_loss (smallest worst single-node loss).")
    ] = "max_min_tts",
    top: Annotated[int, typer.Option(help="Rows per table.")] = 10,
) -> None:
    """Chain strengthening (补链强链): which second sources, capacity or stock to fund under a
    budget so that the weakest node survives longest, or the worst single-node loss is
    smallest (MILP); stored as a run."""
    from chain_brain.services.strengthening import Objective, strengthen_chain

    scope = _scope(chain=chain, region=region, focus=focus, tiers=tiers, direction="up", as_of=as_of)
    run = strengthen_chain(  # an unknown objective is refused by the service, naming it
        _open(store), scope, budget=budget, use_twins=twins, objective=cast(Objective, objective)
    )
    s = run.summary
    chosen = s.get("chosen")
    n_chosen = len(chosen) if isinstance(chosen, list) else 0
    con = _console()
    con.print(
        f"strengthening run [bold]{run.id}[/bold]: {s['options']} candidate option(s), "
        f"{n_chosen} funded for {s['cost']:,.1f} of {s['budget']:,.1f}; weakest time to "
        f"survive {s['min_tts_before']} -> {s['min_tts_after']} weeks; worst single-node loss "
        f"{s['worst_loss_before']:,.1f} -> {s['worst_loss_after']:,.1f}"
    )
    for key, title in (("options", "Options (chosen first)"), ("nodes", "Time to survive per node")):
        table = run.tables.get(key)
        if table is None or not len(table):
            continue
        if key == "options" and "chosen" in table.columns:
            table = table.sort_values("chosen", ascending=False)
        con.print(title)
        con.print(table.head(top).to_string(index=False))


@twins_app.command("create")
def twins_create(store: StoreOpt = None, chain: ChainOpt = None) -> None:
    """One twin per plant with a capacity by process (replaces the stored fleet)."""
    from chain_brain.services.twins import create_twins

    summary = create_twins(_open(store), scope=_scope(chain=chain) if chain else None)
    _console().print(
        f"{summary.plants:,} plant twins with {summary.units:,} units: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary.processes.items()))
    )


@twins_app.command("telemetry")
def twins_telemetry(
    path: Annotated[Path, typer.Argument(help="15-minute power-load CSV (UCI steel-energy layout).")],
    plant: Annotated[str, typer.Option(help="Plant id, e.g. gem:P100000120439.")],
    unit: Annotated[str, typer.Option(help="Unit id (the process, e.g. EAF).")],
    store: StoreOpt = None,
) -> None:
    """Feed a unit's power-load series; running state and utilisation follow from it."""
    from chain_brain.services.twins import feed_power_load
    from ingest.telemetry import read_steel_energy

    read = read_steel_energy(path)
    reports = feed_power_load(_open(store), plant, unit, read.data)
    con = _console()
    con.print(
        f"{read.n_loaded:,} readings applied in {len(reports)} daily batch(es); "
        f"{len(read.rejects)} rejected value(s); "
        f"{sum(r.n_state_changes for r in reports)} state change(s)"
    )


@twins_app.command("forecast")
def twins_forecast(
    plant: Annotated[list[str], typer.Option(help="Plant id (repeatable).")],
    weeks: Annotated[int, typer.Option(help="Horizon in weeks.")] = 12,
    store: StoreOpt = None,
) -> None:
    """Weekly capacity P10 / P50 / P90 of plants."""
    from chain_brain.services.twins import plant_forecast

    table = plant_forecast(_open(store), plant, horizon_weeks=weeks)
    cols = ["plant_id", "product", "week", "week_start", "p10", "p50", "p90", "nameplate"]
    _console().print(table[cols].to_string(index=False))


@twins_app.command("status")
def twins_status(plant: Annotated[str, typer.Argument(help="Plant id.")], store: StoreOpt = None) -> None:
    """Units and recent state changes of one plant's twin."""
    from chain_brain.services.twins import plant_state

    state = plant_state(_open(store), plant)
    import pandas as pd

    con = _console()
    units = pd.DataFrame(state["units"])  # type: ignore[arg-type]
    con.print(units[["unit_id", "process", "state", "nameplate_per_week", "last_reading"]].to_string(index=False))
    changes = pd.DataFrame(state["recent_changes"])  # type: ignore[arg-type]
    if len(changes):
        changes["from_state"] = changes["from_state"].map(lambda v: getattr(v, "name", v))
        changes["to_state"] = changes["to_state"].map(lambda v: getattr(v, "name", v))
        con.print("recent state changes:")
        con.print(changes.tail(10).to_string(index=False))


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="A file (CSV, XLSX, Parquet, JSON) or, without --mapping, a dataset name.")],
    mapping: Annotated[Path | None, typer.Option("--mapping", "-m", help="YAML column mapping of the file.")] = None,
    data_dir: Annotated[Path, typer.Option(help="Folder of the named real datasets.")] = Path("../shared/data"),
    store: StoreOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where to write the rejects CSV.")] = None,
    max_reject_share: Annotated[float, typer.Option(help="Exit 1 when more than this share (0..1) of rows is rejected.")] = 0.05,
    retire: Annotated[bool, typer.Option(help="Close supply facts of the same source this snapshot no longer states.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of this snapshot (for --retire).")] = None,
    resolve: Annotated[bool, typer.Option(help="Merge firms that name one firm (within the file and against stored firms); merges are kept as a run and can be undone.")] = False,
    embeddings: Annotated[bool, typer.Option(help="With --resolve: add the sentence-embedding score (needs the embeddings extra).")] = False,
) -> None:
    """Read, validate and load a file with its mapping, or a named real dataset
    (gem-steel, apple-suppliers, scms, bea-io, hs2022, gbt4754)."""
    from chain_brain.services.loading import ingest_dataset, ingest_file

    s = _open(store)
    rejects_path = rejects or Path(f"rejects-{Path(source).stem}.csv")
    if mapping is not None:
        report = ingest_file(
            s, source, mapping, dry_run=dry_run, retire=retire, as_of=as_of,
            rejects_path=rejects_path, progress=True, resolve=resolve, embeddings=embeddings,
        )
    else:
        if Path(source).exists():
            raise typer.BadParameter(f"{source!r} is a file: give its --mapping YAML.")
        report = ingest_dataset(
            s, source, data_dir, dry_run=dry_run, rejects_path=rejects_path, progress=True,
            resolve=resolve, embeddings=embeddings,
        )
    _console().print(report.render())
    share = report.rejected / max(report.rejected + report.loaded, 1)
    if share > max_reject_share:
        Console(stderr=True).print(
            f"error: {share:.1%} of rows rejected (more than --max-reject-share {max_reject_share:.1%}); "
            f"see {report.rejects_path}"
        )
        raise typer.Exit(1)


@app.command("undo-merges")
def undo_merges_cmd(
    run_id: Annotated[str, typer.Argument(help="Resolution run id, as printed by `ingest --resolve`.")],
    store: StoreOpt = None,
) -> None:
    """Undo the firm merges of one `ingest --resolve` load: the merged firms and their
    relationships come back as the load would have written them without resolution."""
    from chain_brain.services.loading import undo_merges

    n = undo_merges(_open(store), run_id)
    _console().print(f"undid {n:,} merge(s) of resolution run {run_id}")


@app.command()
def synthetic(
    scale: Annotated[float, typer.Option(help="Share of the national size (1 = 150,000 firms, 1.2M supply edges).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    store: StoreOpt = None,
    gbt: Annotated[Path | None, typer.Option(help="GB/T 4754-2017 codes CSV for industry names.")] = None,
    hs: Annotated[Path | None, typer.Option(help="HS 2022 CSV for product codes.")] = None,
) -> None:
    """Generate a seeded national-scale synthetic chain graph and write it to the store."""
    import time

    from ingest.synthetic import scale as generate

    if not 0 < scale <= 2:
        raise typer.BadParameter(f"--scale must lie in (0, 2], got {scale}")
    t0 = time.perf_counter()
    data = generate(scale, seed, progress=True, gbt_path=gbt, hs_path=hs)
    s = _open(store)
    s.init()
    written = s.write(data)
    _console().print(
        f"wrote {written.nodes:,} nodes and {written.rels:,} relationships to {s.uri} "
        f"in {time.perf_counter() - t0:.1f} s"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: StoreOpt = None,
    workers: Annotated[int, typer.Option(help="Server processes on the port (rate limits count per process).")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) on the store."""
    from chain_brain.api import serve as run

    run(_settings(store), host=host, port=port, workers=workers)


@app.command()
def dashboard(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8050,
    store: StoreOpt = None,
) -> None:
    """Serve the Dash monitoring views on the store."""
    from dashboards.app import serve as run

    run(_settings(store), host=host, port=port)


@key_app.command("create")
def api_key_create(
    role: Annotated[str, typer.Option(help="admin, analyst, chain-lead or viewer.")],
    tenant: Annotated[str | None, typer.Option(help="Organisation the key belongs to.")] = None,
    chain: Annotated[str | None, typer.Option(help="Chain a chain-lead key may see.")] = None,
    firm: Annotated[str | None, typer.Option(help="The chain-lead's own firm id.")] = None,
    keys_file: Annotated[Path | None, typer.Option(help="Keys file (hashed keys only).")] = None,
) -> None:
    """Create an API key; the key is printed once and stored only as a salted hash."""
    from chain_brain.api.app import DEFAULT_KEYS_FILE
    from chain_brain.services.security import create_api_key

    path = keys_file or Path(Settings().api_keys_file or DEFAULT_KEYS_FILE)
    key = create_api_key(path, role, tenant, chain=chain, firm=firm)
    _console().print(f"{key}\n(stored hashed in {path}; it cannot be shown again)")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, print project errors as one line (exit 2)."""
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int) and code != 0:  # typer.Exit(n) comes back as a return value
            sys.exit(code)
    except ChainBrainError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as exc:  # usage errors (bad option values) carry their own exit code
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


if __name__ == "__main__":
    main()
