"""``recovery customer add | list | show`` and ``recovery staff add | list``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Recovery = Callable[..., Any]  # fixtures of tests/cli/conftest.py
ErrorLine = Callable[[Any], str]


def test_customer_add(recovery: Recovery) -> None:
    result = recovery("customer", "add", "Ann@Example.com", "--name", "Ann", "--external", "zendesk:42")
    assert (result.code, result.out) == (0, "customer 1 added\n"), result


def test_customer_add_twice_is_a_conflict(recovery: Recovery, error_line: ErrorLine) -> None:
    recovery("customer", "add", "ann@example.com")
    result = recovery("customer", "add", "ANN@example.com")
    assert result.code == 1, result
    assert error_line(result) == ("error: a customer with email ann@example.com or that external id already exists")


def test_customer_add_with_a_bad_email(recovery: Recovery, error_line: ErrorLine) -> None:
    result = recovery("customer", "add", "not-an-email")
    assert result.code == 2, result  # a malformed value typed on the command line is bad usage
    assert error_line(result).startswith("error: email: not an email address: 'not-an-email'")


def test_customer_add_with_a_bad_external_is_bad_usage(recovery: Recovery, error_line: ErrorLine) -> None:
    result = recovery("customer", "add", "ann@example.com", "--external", "zendesk")
    assert result.code == 2, result
    assert "--external: expected SOURCE:ID" in error_line(result)


def test_customer_list_table(shop: Recovery) -> None:
    result = shop("customer", "list")
    assert result.code == 0, result
    assert "ann@example.com" in result.out, result
    header = ["id", "email", "name", "external", "complaints", "loyalty_class", "clv"]
    assert result.out.splitlines()[0].split() == header, result


def test_customer_list_json(shop: Recovery) -> None:
    shop("complaint", "open", "--customer", "ann@example.com", "--summary", "late")
    rows = json.loads(shop("customer", "list", "--json").out)
    assert [(r["id"], r["email"], r["name"], r["complaints"]) for r in rows] == [(1, "ann@example.com", "Ann", 1)]


def test_customer_list_when_empty(recovery: Recovery) -> None:
    assert recovery("customer", "list").out == "no customers yet\n"


def test_customer_show_by_email_with_complaints(shop: Recovery) -> None:
    shop("complaint", "open", "--customer", "1", "--summary", "late parcel")
    result = shop("customer", "show", "ann@example.com")
    assert result.code == 0, result
    assert result.out.startswith("customer 1: Ann <ann@example.com>  external: -"), result
    assert "late parcel" in result.out, result


def test_customer_show_json(shop: Recovery) -> None:
    data = json.loads(shop("customer", "show", "1", "--json").out)
    assert (data["id"], data["email"], data["complaints"]) == (1, "ann@example.com", [])


def test_customer_show_unknown(recovery: Recovery, error_line: ErrorLine) -> None:
    result = recovery("customer", "show", "9")
    assert result.code == 1, result
    assert error_line(result) == "error: no customer '9' (give an id or an email)"


def test_staff_add_and_list(recovery: Recovery) -> None:
    added = recovery("staff", "add", "lea", "--name", "Lea", "--email", "lea@shop.example", "--role", "lead")
    assert (added.code, added.out) == (0, "staff member lea added (lead)\n"), added
    listed = recovery("staff", "list")
    assert "lea@shop.example" in listed.out, listed


def test_staff_list_json(shop: Recovery) -> None:
    assert json.loads(shop("staff", "list", "--json").out) == [
        {"id": "bob", "name": "Bob", "email": None, "role": "agent"}
    ]


def test_staff_list_when_empty(recovery: Recovery) -> None:
    assert recovery("staff", "list").out == "no staff yet\n"


def test_staff_add_twice_is_a_conflict(shop: Recovery, error_line: ErrorLine) -> None:
    result = shop("staff", "add", "bob", "--name", "Bob Two")
    assert result.code == 1, result
    assert error_line(result) == "error: staff member 'bob' already exists"


def test_staff_add_with_an_unknown_role_is_bad_usage(recovery: Recovery, error_line: ErrorLine) -> None:
    result = recovery("staff", "add", "bob", "--name", "Bob", "--role", "boss")
    assert result.code == 2, result
    assert "Invalid value for '--role'" in error_line(result)


def test_staff_add_with_a_bad_id(recovery: Recovery, error_line: ErrorLine) -> None:
    result = recovery("staff", "add", "bob smith", "--name", "Bob")
    assert result.code == 2, result  # a malformed value typed on the command line is bad usage
    assert error_line(result).startswith("error: staff id: use letters, digits")
