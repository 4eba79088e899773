"""`klynge user`, `klynge consent`, `klynge audit`, `klynge identity` and `klynge citizen serve`.

Commands act on the state beside a warehouse (``--state``, default the warehouse folder): users,
consent, the identity store and the audit log. They run as the local data steward, and every
change is written to the audit log.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
user_app = typer.Typer(help="Users, roles and organisations.", no_args_is_help=True)
consent_app = typer.Typer(help="A citizen's blocks on sharing.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
identity_app = typer.Typer(help="The identity store (CPR numbers live only here).", no_args_is_help=True)
citizen_app = typer.Typer(help="The shared citizen overview.", no_args_is_help=True)

Warehouse = Annotated[Path, typer.Option("--warehouse", "-w", help="Warehouse folder.")]
State = Annotated[Path | None, typer.Option("--state", help="State folder (default: the warehouse folder).")]


def _steward():
    from klynge.access import Principal, Role

    return Principal(f"cli:{getpass.getuser()}", Role.DATA_STEWARD, "steward:local")


def _state(warehouse: Path, state: Path | None) -> Path:
    return state if state is not None else warehouse


@user_app.command("add")
def user_add(
    warehouse: Warehouse,
    user: Annotated[str, typer.Option(help="User name.")],
    role: Annotated[str, typer.Option(help="aggregate_analyst, pseudonymised_analyst, clinician or data_steward.")],
    organisation: Annotated[str, typer.Option(help="e.g. municipality:461, hospital:SGH08, gp:376001.")],
    oidc_only: Annotated[bool, typer.Option(help="No password: signs in through OpenID Connect.")] = False,
    state: State = None,
) -> None:
    """Create or replace a user. The password is read from KLYNGE_NEW_PASSWORD or asked for.

    Example: klynge user add -w wh --user anna --role clinician --organisation municipality:461
    """
    from klynge.access import audit_log
    from klynge.access._users import UserStore

    password = None
    if not oidc_only:
        password = os.environ.get("KLYNGE_NEW_PASSWORD") or typer.prompt("Adgangskode", hide_input=True,
                                                                         confirmation_prompt=True)
    try:
        p = UserStore(_state(warehouse, state)).add(user, role, organisation, password)
    except ValueError as err:
        console.print(f"[bold red]Fejl:[/] {err}")
        raise typer.Exit(2) from None
    audit_log(_state(warehouse, state)).append(_steward(), "user.admin", purpose="administration",
                                               what=f"user {p.user} as {p.role.value}")
    console.print(f"Bruger {p.user} ({p.role.value}, {p.organisation}) oprettet.")


@user_app.command("list")
def user_list(warehouse: Warehouse, state: State = None) -> None:
    """List active users.

    Example: klynge user list -w wh
    """
    from klynge.access._users import UserStore

    t = Table("bruger", "rolle", "organisation")
    for p in UserStore(_state(warehouse, state)).list():
        t.add_row(p.user, p.role.value, p.organisation)
    console.print(t)


@consent_app.command("block")
def consent_block(
    warehouse: Warehouse,
    person_id: Annotated[str, typer.Option(help="The citizen's person_id (pseudonym).")],
    kind: Annotated[str, typer.Option(help="sector or party.")],
    value: Annotated[str, typer.Option(help="hospital|municipality|gp, or an organisation such as gp:376001.")],
    direction: Annotated[str, typer.Option(help="source (data from it) or viewer (it may not look).")] = "source",
    note: str = "",
    state: State = None,
) -> None:
    """Register a citizen's block on sharing.

    Example: klynge consent block -w wh --person-id P0-1 --kind sector --value gp
    """
    from klynge.access import audit_log
    from klynge.access._consent import ConsentStore
    from klynge.citizen import valid_person_id

    if not valid_person_id(person_id):
        console.print("[bold red]Fejl:[/] ugyldigt person_id")
        raise typer.Exit(2)
    try:
        b = ConsentStore(_state(warehouse, state)).add_block(person_id, direction, kind, value,
                                                             created_by=_steward().user, note=note)
    except ValueError as err:
        console.print(f"[bold red]Fejl:[/] {err}")
        raise typer.Exit(2) from None
    audit_log(_state(warehouse, state)).append(_steward(), "consent.write", purpose="administration",
                                               subjects=[person_id], what=f"block {direction} {kind} {value}")
    console.print(f"Blokering {b.id} registreret.")


@consent_app.command("list")
def consent_list(warehouse: Warehouse, person_id: Annotated[str, typer.Option()], state: State = None) -> None:
    """List a citizen's active blocks.

    Example: klynge consent list -w wh --person-id P0-1
    """
    from klynge.access._consent import ConsentStore

    t = Table("id", "retning", "type", "værdi", "note")
    for b in ConsentStore(_state(warehouse, state)).blocks(person_id):
        t.add_row(str(b.id), b.direction, b.kind, b.value, b.note)
    console.print(t)


@consent_app.command("revoke")
def consent_revoke(warehouse: Warehouse, person_id: Annotated[str, typer.Option()],
                   block_id: Annotated[int, typer.Option()], state: State = None) -> None:
    """Lift a block.

    Example: klynge consent revoke -w wh --person-id P0-1 --block-id 3
    """
    from klynge.access import audit_log
    from klynge.access._consent import ConsentStore

    if not ConsentStore(_state(warehouse, state)).revoke(block_id, person_id):
        console.print("[bold red]Fejl:[/] ingen aktiv blokering med det id")
        raise typer.Exit(2)
    audit_log(_state(warehouse, state)).append(_steward(), "consent.write", purpose="administration",
                                               subjects=[person_id], what=f"revoked block {block_id}")
    console.print(f"Blokering {block_id} ophævet.")


@audit_app.command("verify")
def audit_verify(warehouse: Warehouse, state: State = None) -> None:
    """Check the hash chain of the audit log; exit code 1 when it was changed.

    Example: klynge audit verify -w wh
    """
    from klynge.access import audit_log

    res = audit_log(_state(warehouse, state)).verify()
    if res.ok:
        console.print(f"Revisionsloggen er intakt: {res.entries} poster.")
        return
    console.print(f"[bold red]Revisionsloggen er ændret[/] ({len(res.problems)} fejl):")
    for p in res.problems[:50]:
        console.print(f"  {p}")
    raise typer.Exit(1)


@audit_app.command("export")
def audit_export(warehouse: Warehouse, person_id: Annotated[str, typer.Option(help="The citizen's person_id.")],
                 out: Annotated[Path | None, typer.Option(help="Write JSON here instead of printing a table.")] = None,
                 state: State = None) -> None:
    """The citizen-facing export: who looked at this citizen's data.

    Example: klynge audit export -w wh --person-id P0-1 --out adgang.json
    """
    from klynge.access import audit_log
    from klynge.access._export import citizen_access_report
    from klynge.citizen import valid_person_id

    if not valid_person_id(person_id):
        console.print("[bold red]Fejl:[/] ugyldigt person_id")
        raise typer.Exit(2)
    log = audit_log(_state(warehouse, state))
    verified = log.verify().ok
    rows = citizen_access_report(log, person_id)
    log.append(_steward(), "audit.citizen_export", purpose="citizen_request", subjects=[person_id],
               what="access report")
    if out is not None:
        out.write_text(json.dumps({"person_id": person_id, "log_verified": verified, "entries": rows},
                                  ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"Skrev {len(rows)} opslag til {out}")
        return
    t = Table("tidspunkt", "organisation", "rolle", "bruger", "handling", "formål",
              title=f"Opslag i data om {person_id}" + ("" if verified else " (LOGGEN ER ÆNDRET)"))
    for r in rows:
        t.add_row(r["time"][:19], r["organisation"], r["role"], r["user"], r["action"], r["purpose"])
    console.print(t)


@identity_app.command("synth")
def identity_synth(warehouse: Warehouse, seed: int = 1, state: State = None) -> None:
    """Fill the identity store with fictitious CPR numbers and names for a synthetic warehouse.

    Example: klynge identity synth -w demo/warehouse
    """
    from klynge.identity import synthesise_identity_store
    from klynge.warehouse import open_warehouse

    store = synthesise_identity_store(open_warehouse(warehouse), _state(warehouse, state), seed=seed)
    console.print(f"Identitetsregister med {store.count():,} fiktive borgere skrevet.".replace(",", "."))


@identity_app.command("pseudonymise")
def identity_pseudonymise(
    source: Annotated[Path, typer.Option(help="Source folder whose tables carry a 'cpr' column.")],
    out: Annotated[Path, typer.Option(help="Where the pseudonymised source is written.")],
    warehouse: Warehouse,
    state: State = None,
) -> None:
    """Validate CPR numbers and replace them by keyed-hash person_ids (key: KLYNGE_PSEUDONYM_KEY).

    Example: KLYNGE_PSEUDONYM_KEY_FILE=/run/secrets/key klynge identity pseudonymise --source raw --out src -w wh
    """
    from klynge.identity import MissingKey, pseudonymise_source

    try:
        result = pseudonymise_source(source, out, _state(warehouse, state))
    except MissingKey as err:
        console.print(f"[bold red]Fejl:[/] {err}")
        raise typer.Exit(2) from None
    t = Table("tabel", "læst", "skrevet", "i karantæne")
    for name, c in result.tables.items():
        t.add_row(name, str(c["read"]), str(c["written"]), str(c["quarantined"]))
    console.print(t)
    console.print(f"{result.identities} identiteter gemt i identitetsregistret.")


@citizen_app.command("index")
def citizen_index(warehouse: Warehouse, state: State = None) -> None:
    """Build the person-sorted index that makes one citizen's record fast (rerun after each build).

    Example: klynge citizen index -w wh
    """
    import time

    from klynge.citizen._index import build_person_index

    t = time.perf_counter()
    path = build_person_index(warehouse, _state(warehouse, state))
    console.print(f"Borgerindeks skrevet til {path} på {time.perf_counter() - t:.1f} s.")


@citizen_app.command("serve")
def citizen_serve(warehouse: Warehouse, host: str = "127.0.0.1", port: int = 8010, state: State = None) -> None:
    """Serve the citizen overview (pages and API) with uvicorn.

    Example: klynge citizen serve -w wh --port 8010
    """
    import uvicorn

    from klynge.citizen.app import create_citizen_app

    uvicorn.run(create_citizen_app(warehouse, state_dir=state), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    """Mount the access commands on the `klynge` app."""
    app.add_typer(user_app, name="user")
    app.add_typer(consent_app, name="consent")
    app.add_typer(audit_app, name="audit")
    app.add_typer(identity_app, name="identity")
    app.add_typer(citizen_app, name="citizen")
