"""The package has the whole surface `tests/scenarios/surface.json` lists, found by reflection.

An entry marked as a gap for Python must really be missing, so the manifest cannot go stale.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import signalr_rest
from signalr_rest import aio, errors

MANIFEST = json.loads(
    (Path(__file__).resolve().parents[2] / "tests/scenarios/surface.json").read_text()
)


def _parameters(function: Callable[..., Any]) -> set[str]:
    return set(inspect.signature(function).parameters)


def _has_attribute(*owners: object) -> Callable[[str], bool]:
    return lambda name: all(hasattr(owner, name) for owner in owners)


def _has_parameter(*functions: Callable[..., Any]) -> Callable[[str], bool]:
    return lambda name: all(name in _parameters(function) for function in functions)


def _is_error_kind(name: str) -> bool:
    kinds = {
        value.kind
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, errors.SignalRError)
    }
    return name in kinds


def _has_helper(name: str) -> bool:
    """``version`` on the package, ``upstream.parse_request`` in submodule ``upstream``."""
    *module, attribute = name.split(".")
    try:
        owner = importlib.import_module(".".join(["signalr_rest", *module]))
    except ModuleNotFoundError:
        return False
    return hasattr(owner, attribute)


# How each section of the manifest is looked up in Python: the sync and asyncio clients both.
FINDERS: dict[str, Callable[[str], bool]] = {
    "client_options": _has_parameter(
        signalr_rest.ServiceClient.__init__, aio.ServiceClient.__init__
    ),
    "client_methods": _has_attribute(signalr_rest.ServiceClient, aio.ServiceClient),
    "hub_methods": _has_attribute(signalr_rest.HubClient, aio.HubClient),
    "simulator_options": _has_parameter(signalr_rest.Simulator.__init__),
    "simulator_methods": _has_attribute(signalr_rest.Simulator),
    "virtual_client_methods": _has_attribute(signalr_rest.VirtualClient),
    "error_kinds": _is_error_kind,
    "helpers": _has_helper,
}

# Python spells a few helpers its own way (PEP 396's __version__).
PYTHON_NAMES = {("helpers", "version"): "__version__"}

ENTRIES = [
    (section, entry) for section, entries in MANIFEST["sections"].items() for entry in entries
]


def test_every_section_has_a_finder() -> None:
    assert set(MANIFEST["sections"]) == set(FINDERS)


@pytest.mark.parametrize(
    ("section", "entry"), ENTRIES, ids=[f"{s}.{e['name']}" for s, e in ENTRIES]
)
def test_manifest_entry(section: str, entry: dict[str, Any]) -> None:
    spec = entry.get("python", PYTHON_NAMES.get((section, entry["name"]), entry["name"]))
    find = FINDERS[section]
    if isinstance(spec, dict):
        assert not find(entry["name"]), (
            f"{section}.{entry['name']} is listed as a Python gap ({spec['gap']}) but exists; "
            "remove the gap from tests/scenarios/surface.json"
        )
    else:
        assert find(spec), f"{section}.{entry['name']}: signalr_rest has no {spec!r}"
