"""Learning a system's transport from its bindings and lists, without a broker."""

from __future__ import annotations

import pytest

from taskdeck_core.discovery import (
    bound_queues,
    candidate_seps,
    choose_sep,
    choose_steps,
    foreign_members,
)
from taskdeck_core.transport import KOMBU_DEFAULT_SEP, Transport, parse_steps

STOCK = {
    "erp_sync": ["erp_sync\x06\x16\x06\x16erp_sync"],
    "celery": ["celery\x06\x16\x06\x16celery"],
    "celery.pidbox": ["\x06\x16\x06\x16w1@host.celery.pidbox"],
    "reply.celery.pidbox": ["abc\x06\x16\x06\x16abc"],
    "celeryev": ["worker.#\x06\x16\x06\x16celeryev.1234"],
}


def test_a_stock_system_shows_its_queues_and_kombus_separator() -> None:
    assert choose_sep(STOCK, None) == (KOMBU_DEFAULT_SEP, "detected")
    assert bound_queues(STOCK, KOMBU_DEFAULT_SEP) == ["celery", "erp_sync"]
    assert foreign_members(STOCK, KOMBU_DEFAULT_SEP) == []
    # Splitting on ":" is how the garbled names came about: nothing parses.
    assert bound_queues(STOCK, ":") == []


def test_a_custom_separator_is_found_from_the_shape_of_a_binding() -> None:
    tables = {"mass": ["mass||mass"], "celery": ["celery||celery"], "x": ["a|b.c|d"]}
    assert "|" in candidate_seps(tables["mass"])
    assert choose_sep(tables, None) == ("|", "detected")
    assert bound_queues(tables, "|") == ["celery", "d", "mass"]


def test_configured_wins_and_entries_it_cannot_parse_are_named() -> None:
    tables = {**STOCK, "erp_sync": [*STOCK["erp_sync"], "erp_sync::erp_sync"]}
    assert choose_sep(tables, ":") == (":", "configured")
    assert choose_sep(tables, None)[0] == KOMBU_DEFAULT_SEP  # the most entries parse with it
    foreign = foreign_members(tables, KOMBU_DEFAULT_SEP)
    assert foreign == ["_kombu.binding.erp_sync: 'erp_sync::erp_sync'"]
    assert choose_sep({}, None) == (KOMBU_DEFAULT_SEP, "assumed")


def test_steps_are_configured_assumed_or_unknown_but_never_guessed() -> None:
    assert choose_steps((0, 5), {7}) == ((0, 5), "configured")
    assert choose_steps(None, {3, 9}) == ((0, 3, 6, 9), "assumed")
    assert choose_steps(None, {5}) == ((0, 5), "unknown")


def test_kombus_mapping_of_priorities_onto_steps() -> None:
    stock = Transport()
    assert [stock.step_for(n) for n in range(10)] == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9]
    assert stock.list_for("erp_sync", 5) == "erp_sync\x06\x163"
    assert stock.serves(3) == (3, 5) and stock.serves(9) == (9, 9)
    custom = Transport("|", (0, 2, 5))
    assert custom.list_for("q", 9) == "q|5" and custom.list_for("q", 0) == "q"
    # Reading covers every priority, whatever the steps: a message is counted where it is.
    assert custom.list_names("q") == ["q", *(f"q|{n}" for n in range(1, 10))]
    assert custom.options() == {"sep": "|", "priority_steps": [0, 2, 5]}


def test_steps_and_transports_refuse_what_kombu_could_not_use() -> None:
    assert parse_steps("0, 3,6,9") == (0, 3, 6, 9)
    for bad in ("", "1,2", "0,3,3", "0,x", "0,12"):
        with pytest.raises(ValueError, match="priority steps"):
            parse_steps(bad)
    with pytest.raises(ValueError, match="separator"):
        Transport("", (0,))
