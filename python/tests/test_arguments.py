"""Message arguments are any JSON-serialisable Python value and arrive unchanged."""

from __future__ import annotations

import base64
import enum
import json
from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from signalr_rest import JSON, InvalidArgumentError, ServiceClient, Simulator


def round_trip(simulator: Simulator, service: ServiceClient, *args: Any) -> list[JSON]:
    """What a client receives when ``args`` are sent to it."""
    client = simulator.connect("chat")
    service.hub("chat").send_to_connection(client.connection_id, "m", *args)
    ((target, received),) = client.received
    assert target == "m"
    return received


def test_no_arguments_arrive_as_an_empty_list(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    assert round_trip(signalr_simulator, service) == []


def test_nested_dicts_and_lists_arrive_unchanged(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    value = {"user": {"name": "a", "tags": ["x", "y"], "scores": [[1, 2], [3]]}, "empty": {}}
    assert round_trip(signalr_simulator, service, value, []) == [value, []]


def test_unicode_arrives_unchanged(signalr_simulator: Simulator, service: ServiceClient) -> None:
    text = "héllo wörld 你好 🙂 \u0000 \n\t\"'\\"
    assert round_trip(signalr_simulator, service, text, {text: text}) == [text, {text: text}]


def test_scalars_keep_their_types(signalr_simulator: Simulator, service: ServiceClient) -> None:
    received = round_trip(signalr_simulator, service, None, True, False, 0, -1, 1.5, -0.0, 1e308)
    assert received == [None, True, False, 0, -1, 1.5, -0.0, 1e308]
    assert [type(v) for v in received] == [type(None), bool, bool, int, int, float, float, float]


def test_64_bit_ints_at_both_ends_arrive_exactly(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    edges = [-(2**63), 2**63 - 1, 2**63, 2**64 - 1]
    assert round_trip(signalr_simulator, service, *edges) == edges


@pytest.mark.parametrize("big", [2**64, -(2**63) - 1, 10**40])
def test_ints_beyond_64_bits_arrive_with_every_digit(
    signalr_simulator: Simulator, service: ServiceClient, big: int
) -> None:
    assert round_trip(signalr_simulator, service, {"n": [big]}) == [{"n": [big]}]


def test_decimals_arrive_as_written_and_key_order_is_kept(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    long = Decimal("0.1000000000000000055511151231257827")
    received = round_trip(signalr_simulator, service, {"é": 1, "n": long, "a": 2})
    assert list(received[0]) == ["é", "n", "a"]  # type: ignore[arg-type]
    client = signalr_simulator.connect("raw")
    service.hub("raw").send_to_connection(client.connection_id, "m", long)
    ((_, (value,)),) = client.received
    assert value == float(long)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf"), Decimal("NaN")])
def test_non_finite_numbers_are_refused(service: ServiceClient, number: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="has no JSON form"):
        service.hub("chat").send_to_all("m", 1, number)


def test_tuples_arrive_as_lists(signalr_simulator: Simulator, service: ServiceClient) -> None:
    assert round_trip(signalr_simulator, service, (1, (2, "3"))) == [[1, [2, "3"]]]


class Colour(enum.IntEnum):
    RED = 1


def test_subclasses_of_json_types_convert_like_their_base(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    ordered = OrderedDict([("b", 1), ("a", Colour.RED)])
    assert round_trip(signalr_simulator, service, ordered) == [{"b": 1, "a": 1}]


class Point:
    pass


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ({1, 2}, "set"),
        (Point(), "test_arguments.Point"),
        (b"bytes", "bytes"),
        (datetime(2024, 1, 1), "datetime.datetime"),
    ],
)
def test_values_without_a_json_form_raise_type_error_naming_the_type(
    service: ServiceClient, value: object, type_name: str
) -> None:
    with pytest.raises(TypeError, match=f"arguments\\[1\\]\\[0\\]: object of type {type_name} "):
        service.hub("chat").send_to_all("m", "ok", [value])  # type: ignore[list-item]


def test_dict_keys_must_be_str(service: ServiceClient) -> None:
    with pytest.raises(TypeError, match=r"arguments\[0\]\[1\]: dict keys must be str, got .* int"):
        service.hub("chat").send_to_all("m", {1: "one"})  # type: ignore[dict-item]


def test_lone_surrogates_are_refused(service: ServiceClient) -> None:
    with pytest.raises(InvalidArgumentError, match="lone surrogate"):
        service.hub("chat").send_to_all("m", "\ud800")


def test_a_list_that_contains_itself_is_refused(service: ServiceClient) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(InvalidArgumentError, match="deeper than 100 levels"):
        service.hub("chat").send_to_all("m", loop)


def test_nesting_up_to_the_limit_is_accepted(
    signalr_simulator: Simulator, service: ServiceClient
) -> None:
    deep: Any = "bottom"
    for _ in range(100):
        deep = [deep]
    assert round_trip(signalr_simulator, service, deep) == [deep]


def test_claims_of_a_negotiate_token_are_converted_too(service: ServiceClient) -> None:
    claims: dict[str, JSON] = {"role": "admin", "perms": ["read", "write"], "level": 3}
    token = service.negotiate("chat", "alice", claims=claims)["accessToken"]
    payload = token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert {k: decoded[k] for k in claims} == claims
    assert decoded["nameid"] == "alice"
    with pytest.raises(TypeError, match=r"claims\[\"role\"\]: object of type set"):
        service.negotiate("chat", claims={"role": {"admin"}})  # type: ignore[dict-item]
