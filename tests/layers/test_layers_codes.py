"""The code rules of SPEC §3 as pure functions (layers/codes.py): no database needed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from layers import codes


def rule_of(call, *args: object) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.code


@pytest.mark.parametrize(("code", "kind"), [
    ("320982", "district"), ("320982001", "street"), ("320982001003", "community"),
    ("320982001003004", "unit_grid"), ("3209820101000001", "component"), ("110101003001", "evaluation_grid"),
])
def test_well_formed_codes_pass(code: str, kind: str) -> None:
    codes.check_code(code, kind)


@pytest.mark.parametrize(("code", "kind"), [
    ("32098", "district"),             # too short
    ("3209821", "district"),           # too long
    ("32098A", "district"),            # a letter
    ("32098２", "district"),           # a full-width digit is not an ASCII digit
    ("320982 01", "street"),           # a space inside
    ("320982001", "community"),        # a street code where a community is expected
    ("32098200100100", "unit_grid"),   # 14 digits
    ("320982010100001", "component"),  # 15 digits
    ("", "street"),
])
def test_malformed_codes_are_refused_with_rule_code_format(code: str, kind: str) -> None:
    assert rule_of(codes.check_code, code, kind) == "code_format"


def test_code_format_message_names_the_kind_and_length() -> None:
    with pytest.raises(ValidationError) as caught:
        codes.check_code("12345", "street")
    assert "street" in caught.value.messages[0] and "9 digits" in caught.value.messages[0]


def test_a_number_is_not_a_code() -> None:
    assert rule_of(codes.check_code, 320982, "district") == "code_format"


def test_parent_code_walks_up_the_hierarchy() -> None:
    assert codes.parent_code("320982001003004") == "320982001003"
    assert codes.parent_code("320982001003") == "320982001"
    assert codes.parent_code("320982001") == "320982"


def test_nesting_is_checked_by_prefix() -> None:
    codes.check_nested("320982001003", "320982001", "community")
    assert rule_of(codes.check_nested, "320982002003", "320982001", "community") == "code_hierarchy"
    assert rule_of(codes.check_nested, "320981001", "320982", "street") == "code_hierarchy"


@pytest.mark.parametrize(("major", "minor"), [("01", "01"), ("05", "79"), ("04", "80"), ("02", "99")])
def test_class_codes_in_range_pass(major: str, minor: str) -> None:
    codes.check_class_code(major, minor)


@pytest.mark.parametrize(("major", "minor"), [
    ("06", "01"),   # no major class 06
    ("00", "01"),
    ("1", "01"),
    ("01", "00"),   # minor starts at 01
    ("01", "100"),
    ("01", "1"),
    ("01", "a1"),
    ("01", ""),
])
def test_class_codes_out_of_range_are_refused(major: str, minor: str) -> None:
    assert rule_of(codes.check_class_code, major, minor) == "class_code"


def test_component_code_must_carry_district_and_class() -> None:
    codes.check_component_code("3209820101000001", "0101", "320982")
    # wrong class in digits 7–10
    assert rule_of(codes.check_component_code, "3209820102000001", "0101", "320982") == "component_code"
    # wrong district in digits 1–6
    assert rule_of(codes.check_component_code, "3209810101000001", "0101", "320982") == "component_code"
    # not 16 digits at all
    assert rule_of(codes.check_component_code, "320982010100001", "0101", "320982") == "code_format"
    assert rule_of(codes.check_component_code, "320982010100000X", "0101", "320982") == "code_format"


@pytest.mark.parametrize("code", ["320982", "320982001", "320982001001"])
def test_jurisdiction_codes_are_district_street_or_community(code: str) -> None:
    codes.check_jurisdiction_code(code)


@pytest.mark.parametrize("code", ["32098", "3209820", "320982001001001", "32098200100X"])
def test_other_jurisdiction_codes_are_refused(code: str) -> None:
    assert rule_of(codes.check_jurisdiction_code, code) == "code_format"
