"""Input rules every service's schemas share: text a person typed, dates within reach, and PATCH
bodies where `null` means something only for nullable fields.

- `Name` (one line: names, titles, codes' labels) refuses control characters (line breaks too),
  unpaired surrogates, private-use, unassigned (in Python's Unicode tables) and noncharacter code
  points, and invisible format characters (zero-width spaces, bidi overrides: two names that look
  the same must compare the same, issue #21); blanks at the ends are dropped before any length
  check. `Text` (free text) allows line breaks and tabs but nothing else below U+0020, and no
  surrogate, private-use or noncharacter code point. Both keep the text otherwise as typed.
- `BusinessDate` is a date between `MIN_YEAR` and `MAX_YEAR` (office default: nothing the platform
  records lies outside them; a programme narrows it further where one is known).
- `NewPassword`: 12 characters or more, not in zxcvbn's list of 30,000 common passwords, and
  not easy to guess (zxcvbn score 3 or more).
- `PatchModel`: an absent field is unchanged; an explicit `null` is accepted only for the fields
  named in `nullable` (it clears them), otherwise 422 — and the OpenAPI says so.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from zxcvbn import zxcvbn
from zxcvbn.matching import RANKED_DICTIONARIES

# Office default: the range any business date may take before a programme narrows it.
MIN_YEAR = 2000
MAX_YEAR = 2100

_LINE_BREAKS = frozenset("\n\r\t")


def ascii_number(text: str) -> bool:
    """Digits 0-9 only. `str.isdigit` also accepts ¹²³ and other digits `int()` refuses (a
    header byte 0xB9 read as latin-1 is "¹"): every check before an `int()` uses this."""
    return text.isascii() and text.isdigit()


# What a one-line name may not hold, beyond what free text may not: Cn unassigned (and the
# noncharacters U+FDD0…, U+nFFFE/F), Cf invisible format characters, Zl/Zp line separators.
_NAME_ONLY_REFUSED = {
    "Cn": "未分配的码位",
    "Cf": "不可见的格式字符",
    "Zl": "换行",
    "Zp": "换行",
}
_REFUSED = {"Cc": "控制字符", "Cs": "不成对的代理码位", "Co": "私用区字符"}


def _refusal(char: str, *, multiline: bool) -> str | None:
    """Why `char` may not be in a name (`multiline` False) or free text, or None."""
    if multiline and char in _LINE_BREAKS:
        return None
    category = unicodedata.category(char)
    if category in _REFUSED:
        return _REFUSED[category]
    if char in "\ufffe\uffff":  # noncharacters XML refuses
        return "非字符码位"
    return None if multiline else _NAME_ONLY_REFUSED.get(category)


def _refused(char: str, *, multiline: bool) -> bool:
    return _refusal(char, multiline=multiline) is not None


def _check_name(value: Any) -> Any:
    """Runs before the length checks (the blanks at the ends do not count); leaves anything
    but a string to the `str` validation."""
    if not isinstance(value, str):
        return value
    for position, char in enumerate(value, start=1):
        reason = _refusal(char, multiline=False)
        if reason is not None:
            raise ValueError(
                "不能包含控制字符、换行、私用区字符、未分配码位或不可见的格式字符"
                f"（第 {position} 个字符 U+{ord(char):04X} 是{reason}）"
            )
    return value.strip()


def _check_text(value: str) -> str:
    if any(_refused(c, multiline=True) for c in value):
        raise ValueError("不能包含控制字符或私用区字符（换行和制表符除外）")
    return value


def _check_date(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"日期应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间")
    return value


# Office default for a new password: at least this long, not a common password, and not easy
# to guess (zxcvbn's score, 0–4, at least 3). Applies to passwords set through the API.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MIN_SCORE = 3


def _check_password(value: str) -> str:
    if len(value) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"密码至少 {PASSWORD_MIN_LENGTH} 位")
    if value.lower() in RANKED_DICTIONARIES["passwords"]:
        raise ValueError("该密码在常见密码表中，请换一个")
    if zxcvbn(value[:100])["score"] < PASSWORD_MIN_SCORE:
        raise ValueError("密码过于简单、容易猜到，请使用更长或更不规则的密码")
    return value


Name = Annotated[str, BeforeValidator(_check_name)]
Text = Annotated[str, AfterValidator(_check_text)]
BusinessDate = Annotated[date, AfterValidator(_check_date)]
NewPassword = Annotated[str, Field(max_length=128), AfterValidator(_check_password)]


def _drop_null_from_schema(schema: dict[str, Any], cls: type[PatchModel]) -> None:
    """The OpenAPI of a PATCH body: non-nullable fields may be absent, never null."""
    for name, prop in schema.get("properties", {}).items():
        if name in cls.nullable:
            continue
        options = prop.get("anyOf")
        if isinstance(options, list):
            kept = [o for o in options if o.get("type") != "null"]
            if len(kept) == 1:
                prop.pop("anyOf")
                prop.update(kept[0])
            else:
                prop["anyOf"] = kept
        if prop.get("default", 0) is None:
            prop.pop("default")


class PatchModel(BaseModel):
    """Base of every PATCH body: only the fields sent change; `null` only where `nullable`."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    model_config = ConfigDict(json_schema_extra=_drop_null_from_schema)

    @field_validator("*")
    @classmethod
    def _null_only_where_nullable(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs for the fields sent only (defaults are not validated): an absent field stays None.
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("不能为 null（不修改时请省略该字段）")
        return value
