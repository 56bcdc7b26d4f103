"""The code rules of SPEC §3 (GB/T 2260 administrative codes, GB/T 30428 grids and components).

Codes nest by prefix: district (6) ⊂ street (9) ⊂ community (12) ⊂ unit grid (15). A component
identifier 标识码 is 16 digits: 6 district + 2 major + 2 minor class + 6 sequence. Each check
raises ``django.core.exceptions.ValidationError`` with the rule as its ``code`` so the API can
say which rule failed.

>>> check_code("320982001", "street")
>>> parent_code("320982001003004")
'320982001003'
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LENGTHS = {"district": 6, "street": 9, "community": 12, "unit_grid": 15, "component": 16, "evaluation_grid": 12}
JURISDICTION_LENGTHS = (6, 9, 12)
STANDARD_MINOR = range(1, 80)
EXTENSION_MINOR = range(80, 100)
MAJOR_CLASSES = {"01": "公用设施", "02": "交通设施", "03": "市容环境设施", "04": "园林绿化设施", "05": "其他部件"}
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: \d would also accept full-width digits such as ２


def check_code(code: str, kind: str) -> None:
    """Refuse a code that is not exactly the digits its kind needs (rule ``code_format``)."""
    length = LENGTHS[kind]
    if not isinstance(code, str) or len(code) != length or not _DIGITS.fullmatch(code):
        raise ValidationError(
            f"{kind} code must be {length} digits, got {code!r}", code="code_format", params={"kind": kind}
        )


def parent_code(code: str) -> str:
    """The code of the unit a code nests in: grid → community → street → district."""
    return code[:-3]


def check_nested(code: str, parent: str, kind: str) -> None:
    """Refuse a code whose prefix is not its parent's code (rule ``code_hierarchy``)."""
    if parent_code(code) != parent:
        raise ValidationError(
            f"{kind} code {code} must start with its parent's code {parent}", code="code_hierarchy"
        )


def check_class_code(major: str, minor: str) -> None:
    """Major 01–05, minor 01–99 (80–99 are local extensions), rule ``class_code``."""
    if major not in MAJOR_CLASSES:
        raise ValidationError(f"major class {major!r} is not one of {sorted(MAJOR_CLASSES)}", code="class_code")
    if not (_DIGITS.fullmatch(minor or "") and len(minor) == 2 and 1 <= int(minor) <= 99):
        raise ValidationError(f"minor class {minor!r} must be two digits 01–99", code="class_code")


def check_component_code(code: str, class_code: str, district: str) -> None:
    """A 标识码 is 16 digits starting with its district and its 4-digit class (rule ``component_code``)."""
    check_code(code, "component")
    if code[6:10] != class_code:
        raise ValidationError(
            f"标识码 {code} must carry its class {class_code} in digits 7–10 (it has {code[6:10]})",
            code="component_code",
        )
    if code[:6] != district:
        raise ValidationError(
            f"标识码 {code} must start with the district code {district} of its position", code="component_code"
        )


def check_jurisdiction_code(code: str) -> None:
    """A jurisdiction is a district, street or community code (6, 9 or 12 digits)."""
    if len(code) not in JURISDICTION_LENGTHS or not _DIGITS.fullmatch(code):
        raise ValidationError(
            f"jurisdiction must be a 6-, 9- or 12-digit district/street/community code, got {code!r}",
            code="code_format",
        )
