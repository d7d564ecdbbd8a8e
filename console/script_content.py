"""The shape of a call script's content, checked, and its personal fields filled in.

A version's content, in both languages (``zh_Hans``, ``en``)::

    {"opening": {...}, "purpose": {...}, "consent": {...}, "declined": {...},
     "questions": [{"key": "fixed", "kind": "yes_no", "text": {...}}, ...],
     "complaint": {...}, "suggestions": {...}, "reminder": {...}, "closing": {...}}

``opening`` greets and introduces the agent (the customer kind's tone); ``purpose`` says why
this follow-up calls (read after the greeting when it leads the call, before its questions
otherwise); ``declined`` is what to say when the customer does not consent; ``reminder`` (may
be empty) comes before the closing. A question's ``key`` is stable across versions: answers are
stored under it. Personal fields are written ``{customer}``, ``{car}``... (``FIELDS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from storage.codes import AnswerKind
from storage.errors import N_, InvalidInput

LANGS = ("zh_Hans", "en")
TEXT_STEPS = (
    "opening",
    "purpose",
    "consent",
    "declined",
    "complaint",
    "suggestions",
    "reminder",
    "closing",
)
OPTIONAL_STEPS = frozenset({"reminder"})
FIELDS = (
    "customer",  # 张先生 / 张女士 / 张伟 (company contacts), Mr Zhang
    "agent",
    "store",
    "hotline",
    "car",  # plate and model
    "plate",
    "model",
    "service_date",  # the repair order's day (closed, else opened)
    "advisor",
    "next_maintenance",  # when and at about what mileage
    "delivery_date",
    "consultant",
    "insurance_expiry",
    "case_category",  # the customer's open complaint case, for its follow-up
    "case_opened",
)
OVERALL = "overall"  # the question whose answer is the call's overall satisfaction
MAX_TEXT = 1000
MAX_QUESTIONS = 30
KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
BLANK = "＿＿"  # a field the archive does not know: the agent asks or skips it


def check_content(raw: Mapping) -> dict:
    """The content, trimmed, or InvalidInput naming the first wrong part (``field`` is e.g.
    ``closing.en`` or ``questions.2.key``)."""
    content: dict = {step: _texts(raw.get(step), step) for step in TEXT_STEPS}
    questions = raw.get("questions") or []
    if not isinstance(questions, list) or len(questions) > MAX_QUESTIONS:
        raise InvalidInput(N_("a script has at most 30 questions"), field="questions")
    content["questions"] = [_question(q, i) for i, q in enumerate(questions)]
    keys = [q["key"] for q in content["questions"]]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise InvalidInput(N_("each question needs its own key"), field=f"questions.{i}.key")
    return content


def _texts(raw: object, field: str) -> dict[str, str]:
    raw = raw if isinstance(raw, Mapping) else {}
    texts = {}
    for lang in LANGS:
        text = str(raw.get(lang) or "").strip()
        where = f"{field}.{lang}"
        if not text and field.split(".")[0] not in OPTIONAL_STEPS:
            raise InvalidInput(N_("write this text in both languages"), field=where)
        if len(text) > MAX_TEXT:
            raise InvalidInput(N_("keep each text under 1000 characters"), field=where)
        unknown = [name for name in PLACEHOLDER.findall(text) if name not in FIELDS]
        if unknown:
            raise InvalidInput(
                N_("unknown personal field {%(name)s}"), field=where, name=unknown[0]
            )
        texts[lang] = text
    return texts


def _question(raw: object, i: int) -> dict:
    raw = raw if isinstance(raw, Mapping) else {}
    key = str(raw.get("key") or "").strip()
    if not KEY.match(key):
        raise InvalidInput(
            N_("a question key is lower-case letters, digits and _ (e.g. fixed_first_time)"),
            field=f"questions.{i}.key",
        )
    try:
        kind = AnswerKind(str(raw.get("kind") or ""))
    except ValueError:
        raise InvalidInput(N_("choose the kind of answer"), field=f"questions.{i}.kind") from None
    if key == OVERALL and kind is not AnswerKind.FIVE_POINT:
        raise InvalidInput(
            N_("the overall question is answered on the five-point scale"),
            field=f"questions.{i}.kind",
        )
    return {"key": key, "kind": kind.value, "text": _texts(raw.get("text"), f"questions.{i}")}


def fill(text: str, fields: Mapping[str, str]) -> str:
    """``text`` with each ``{field}`` replaced; a field without a value becomes ``BLANK``.
    Never ``str.format``: an edited script cannot reach attributes through its placeholders."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in FIELDS:
            return match.group(0)
        return fields.get(name) or BLANK

    return PLACEHOLDER.sub(value, text)


def lang_of(locale: str) -> str:
    return "en" if str(locale).startswith("en") else "zh_Hans"
