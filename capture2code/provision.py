"""Provisioning mode: from a capture of clicks to the steps a script repeats on any server.

The stages run in this order, each a pure function over records:

1. `filters.classify`: noise is dropped; mutating calls are kept; reads are kept only if
   chaining shows that a kept request uses their response.
2. `redact.redact`: over the candidates only (dropped noise never reaches a script).
3. `session.provision_auth`: the browser session becomes an API token; login dropped.
4. `chain.chain`: server-made ids become extracted Vars; polling becomes a wait.
5. `params.parametrize`: names the user typed become script parameters.
6. Here: what each step creates (for the summary) and which secrets a response returns
   (written to 0600 files by the script).

`Outcome`s say for every input record whether it became a step and why: `show` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from capture2code.filters import Decision, FilterOptions, classify
from capture2code.params import (
    apply_params,
    constant_case,
    find_params,
    readable,
    type_word,
)
from capture2code.plan import (
    Created,
    EnvVar,
    Extraction,
    JsonPath,
    Param,
    SavedSecret,
    Wait,
    json_at,
    unique_name,
)
from capture2code.record import Record, record_vars, request_target, response_json
from capture2code.session import provision_auth
from capture2code.template import Text


@dataclass(frozen=True)
class ProvisionOptions:
    filter: FilterOptions = field(default_factory=FilterOptions)
    chain: bool = True
    keep_login: bool = False
    keep_session_auth: bool = False
    redact: bool = True


@dataclass(frozen=True)
class Outcome:
    kept: bool
    reason: str


@dataclass
class StepExtras:
    extracts: list[Extraction] = field(default_factory=list)
    wait: Wait | None = None
    saves: list[SavedSecret] = field(default_factory=list)
    creates: Created | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Prepared:
    records: list[Record]  # the steps, in order
    extras: list[StepExtras]  # one per step
    env: list[EnvVar]
    params: list[Param]
    outcomes: list[Outcome]  # one per input record
    header: list[str] = field(default_factory=list)
    # Removes the secrets found from a message about the capture (a warning).
    scrub: Callable[[str], str] = str


@dataclass(frozen=True)
class ReturnedSecret:
    """A secret a response returns that the user wants kept: a kubeconfig, a command that
    registers nodes. `target` is searched in the request's path and query."""

    method: str
    target: re.Pattern[str]
    path: JsonPath
    filename: str
    description: str


RETURNED_SECRETS: tuple[ReturnedSecret, ...] = (
    ReturnedSecret(
        "POST",
        re.compile(r"[?&]action=generateKubeconfig\b"),
        ("config",),
        "kubeconfig.yaml",
        "kubeconfig of the cluster",
    ),
    ReturnedSecret(
        "GET",
        re.compile(r"/v3/clusterregistrationtokens?\b"),
        ("data", 0, "command"),
        "cluster-registration-command.txt",
        "command that registers nodes with the cluster",
    ),
    ReturnedSecret(
        "POST",
        re.compile(r"/v3/clusterregistrationtokens?(?:\?|$)"),
        ("command",),
        "cluster-registration-command.txt",
        "command that registers nodes with the cluster",
    ),
)

ACTION = re.compile(r"[?&]action=")


def _saves(record: Record) -> list[SavedSecret]:
    target = request_target(record)
    found = []
    for rule in RETURNED_SECRETS:
        if record.request.method != rule.method or not rule.target.search(target):
            continue
        if record.response is not None and json_at(response_json(record), rule.path) is None:
            continue
        found.append(SavedSecret(rule.path, rule.filename, rule.description))
    return found


def _succeeded(record: Record) -> bool:
    return record.response is None or 200 <= record.response.status < 300


def prepare(records: Sequence[Record], options: ProvisionOptions) -> Prepared:
    decisions = classify(records, options.filter)
    candidates = [i for i, d in enumerate(decisions) if d.verdict != "drop"]
    outcomes: dict[int, Outcome] = {
        i: Outcome(False, d.reason) for i, d in enumerate(decisions) if d.verdict == "drop"
    }
    chosen = [records[i] for i in candidates]
    env: list[EnvVar] = []
    scrub: Callable[[str], str] = str
    if options.redact:
        from capture2code.redact import redact

        redaction = redact(chosen)
        chosen, env, scrub = redaction.records, redaction.env, redaction.scrub
    header: list[str] = []
    session = provision_auth(
        chosen, env, keep_login=options.keep_login, session=not options.keep_session_auth
    )
    chosen = session.records
    env = [
        replace(var, description=session.described.get(var.name, var.description))
        for var in env
        if var.name not in session.replaced
    ] + session.env
    header += session.notes
    for local, why in session.dropped.items():
        outcomes[candidates[local]] = Outcome(False, why)
    extras = {local: StepExtras(list(found)) for local, found in session.extracts.items()}
    alive = [local for local in range(len(chosen)) if local not in session.dropped]
    # Parameters are named before chaining (CLUSTER_NAME is the option's, not an id's) and
    # substituted after it: a name the server made from a typed one (`nc-demo-pool1-x7k2p`)
    # is an id to read from its response, not a name to rebuild.
    taken = {var.name for var in env} | {e.var for x in extras.values() for e in x.extracts}
    parameters = find_params([chosen[local] for local in alive], taken=taken)
    taken |= {param.name for param in parameters.params}
    names = {alive[position]: name for position, name in parameters.names.items()}
    for local in alive:
        extra = extras.setdefault(local, StepExtras())
        extra.saves = _saves(chosen[local])
    uses: dict[int, set[int]] = {}
    if options.chain:
        from capture2code.chain import chain

        schemas = [records[i] for i, d in enumerate(decisions) if d.verdict == "drop"]
        chained = chain([chosen[i] for i in alive], taken=taken, schemas=schemas)
        for position, record in enumerate(chained.records):
            local = alive[position]
            chosen[local] = record
            extra = extras.setdefault(local, StepExtras())
            extra.extracts += chained.extracts.get(position, [])
            extra.wait = chained.waits.get(position)
            extra.notes += chained.notes.get(position, [])
        uses = {
            alive[consumer]: {alive[p] for p in producers}
            for consumer, producers in chained.uses.items()
        }
    substituted = apply_params([chosen[local] for local in alive], parameters.params)
    for local, record in zip(alive, substituted, strict=True):
        chosen[local] = record
    kept = _kept(alive, [decisions[candidates[local]] for local in alive], uses)
    for local in alive:
        index = candidates[local]
        decision = decisions[index]
        if local in kept:
            users = sorted(candidates[c] + 1 for c, ps in uses.items() if local in ps and c in kept)
            reason = decision.reason
            if decision.verdict == "if-used":
                reason = f"{reason}; its response is used by #" + ", #".join(map(str, users))
            outcomes[index] = Outcome(True, reason)
        else:
            outcomes[index] = Outcome(False, f"{decision.reason}; nothing kept uses its response")
    steps = [local for local in alive if local in kept]
    step_records = [chosen[local] for local in steps]
    step_extras = [extras.get(local, StepExtras()) for local in steps]
    taken |= {e.var for x in step_extras for e in x.extracts}
    step_names = {position: names[local] for position, local in enumerate(steps) if local in names}
    _describe_creations(step_records, step_extras, step_names, taken)
    _prune_extractions(step_records, step_extras)
    used = {var.name for record in step_records for var in record_vars(record)}
    env = [var for var in env if var.name in used]
    return Prepared(
        step_records,
        step_extras,
        env,
        [p for p in parameters.params if p.name in used],
        [outcomes[i] for i in range(len(records))],
        header,
        scrub,
    )


def _kept(alive: list[int], decisions: list[Decision], uses: dict[int, set[int]]) -> set[int]:
    """Steps kept by the filter, and the reads they use (and what those use, in turn)."""
    kept = {local for local, d in zip(alive, decisions, strict=True) if d.verdict == "keep"}
    pending = list(kept)
    while pending:
        for producer in uses.get(pending.pop(), ()):
            if producer not in kept:
                kept.add(producer)
                pending.append(producer)
    return kept


def _describe_creations(
    records: list[Record],
    extras: list[StepExtras],
    names: dict[int, tuple[str, Text]],
    taken: set[str],
) -> None:
    """What each step creates, with the variable holding its id."""
    for index, (record, extra) in enumerate(zip(records, extras, strict=True)):
        request = record.request
        if (
            request.method != "POST"
            or ACTION.search(request_target(record))
            or not _succeeded(record)
        ):
            continue
        response = response_json(record)
        if record.response is not None and not (isinstance(response, dict) and "id" in response):
            continue
        word = type_word(record) or "object"
        id_var = next((e.var for e in extra.extracts if e.path == ("id",) and not e.derive), None)
        if id_var is None:
            id_var = unique_name(f"{constant_case(word)}_ID", taken)
            taken.add(id_var)
            extra.extracts.append(Extraction(id_var, ("id",), note=f"id of the {readable(word)}"))
        name = names.get(index, (word, None))[1]
        extra.creates = Created(readable(word), name, id_var)


def _prune_extractions(records: list[Record], extras: list[StepExtras]) -> None:
    """Extractions nothing reads are dropped, except the ids the summary prints."""
    used = {var.name for record in records for var in record_vars(record)}
    for extra in extras:
        summary = extra.creates.id_var if extra.creates else None
        extra.extracts = [e for e in extra.extracts if e.var in used or e.var == summary]
