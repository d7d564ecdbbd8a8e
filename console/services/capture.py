"""What the agent captures beyond the outcome code, checked: survey answers per question of the
call's script, the complaint's category, the appointment day, churn direction and reason.

Each function takes what the browser sent and returns the value to store, or raises
InvalidInput naming the field; an empty value is None (a draft may be incomplete).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import TypeVar

from console.call_scripts import ScriptPart
from console.script_content import OVERALL
from storage.codes import AnswerKind
from storage.errors import N_, InvalidInput

TEXT_LIMIT = 4000
E = TypeVar("E", bound=StrEnum)
YES, NO = "yes", "no"


def answers(raw: object, parts: Sequence[ScriptPart]) -> dict | None:
    """``{task_type: {key: answer}}`` for the questions of the call's scripts: five-point
    answers are whole numbers 1..5, yes/no answers ``yes`` or ``no``, text is trimmed text.
    Unanswered questions are left out."""
    if raw in (None, ""):
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            N_("survey answers are sent per follow-up and question"), field="answers"
        )
    kinds = {p.task_type: {q["key"]: q["kind"] for q in p.content["questions"]} for p in parts}
    out: dict[str, dict] = {}
    for task_type, given in raw.items():
        if task_type not in kinds or not isinstance(given, Mapping):
            raise InvalidInput(N_("this call does not cover that follow-up"), field="answers")
        for key, value in given.items():
            if key not in kinds[task_type]:
                raise InvalidInput(N_("no such question in this call's script"), field="answers")
            answer = _answer(AnswerKind(kinds[task_type][key]), value, f"answers.{task_type}.{key}")
            if answer is not None:
                out.setdefault(task_type, {})[key] = answer
    return out or None


def _answer(kind: AnswerKind, value: object, field: str) -> int | str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind is AnswerKind.FIVE_POINT:
        return five_point(value, field)
    if kind is AnswerKind.YES_NO:
        if value in (True, YES):
            return YES
        if value in (False, NO):
            return NO
        raise InvalidInput(N_("answer yes or no"), field=field)
    text = str(value).strip()
    if len(text) > TEXT_LIMIT:
        raise InvalidInput(N_("keep each text under 4000 characters"), field=field)
    return text


def five_point(value: object, field: str) -> int:
    """A five-point answer: 5 very satisfied .. 1 very dissatisfied."""
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else 0
    except ValueError:
        number = 0
    if not 1 <= number <= 5:
        raise InvalidInput(N_("satisfaction is a whole number from 1 to 5"), field=field)
    return number


def overall(answers: Mapping | None, parts: Sequence[ScriptPart]) -> int | None:
    """The call's overall satisfaction: the first follow-up's ``overall`` answer."""
    for part in parts:
        value = (answers or {}).get(part.task_type, {}).get(OVERALL)
        if value is not None:
            return int(value)
    return None


def asks_overall(parts: Sequence[ScriptPart]) -> bool:
    return any(q["key"] == OVERALL for p in parts for q in p.content["questions"])


def choice(codes: type[E], raw: object, field: str) -> E | None:
    if raw in (None, ""):
        return None
    try:
        return codes(str(raw))
    except ValueError:
        raise InvalidInput(N_("choose one of the listed values"), field=field) from None


def day(raw: object, field: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise InvalidInput(N_("give a date as YYYY-MM-DD"), field=field) from None
