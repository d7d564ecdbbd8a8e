"""The script of one call, in steps, with the customer's details filled in.

A call covering several follow-ups (a merged call) reads the greeting and the consent once,
from the follow-up that leads it (``SCRIPT_ORDER``), then each follow-up's questions (a
follow-up that does not lead says why it calls first), then the complaint branch and the
suggestions once, each follow-up's reminder, and the closing once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import phonenumbers

from console.labels import CUSTOMER_KINDS, SATISFACTION, TASK_TYPES, YES_NO, pick
from console.script_content import fill, lang_of
from storage.codes import AnswerKind, TaskType

T = TaskType
# Which follow-up leads a merged call: a promised callback or an open case first (the customer
# expects them), then the sales sequence, the repair follow-up, and the reminders.
SCRIPT_ORDER: tuple[str, ...] = (
    T.CALLBACK,
    T.CASE_FOLLOWUP,
    T.DELIVERY_CARE,
    T.SALES_3DC,
    T.SALES_7DC,
    T.REPAIR_3DC,
    T.CHURN_SURVEY,
    T.FIRST_MAINTENANCE,
    T.MAINTENANCE,
    T.INSURANCE_RENEWAL,
    T.PERIODIC_SALES,
    T.EVENT_INVITATION,
)


def call_order(task_types: Sequence[str]) -> list[str]:
    return sorted(set(task_types), key=SCRIPT_ORDER.index)


@dataclass(frozen=True)
class ScriptPart:
    """One follow-up's script as the call reads it: the version's id and content."""

    task_type: str
    version_id: int
    content: dict


def render_call(parts: Sequence[ScriptPart], fields: Mapping[str, str], locale: str,
                kind: str) -> dict:  # fmt: skip
    """The screen pop's ``script``: ``steps`` for the agent console, ``versions`` read, and
    ``title`` and ``lines`` (the steps as plain lines) for pages that only list lines."""
    lang = lang_of(locale)

    def say(texts: Mapping[str, str]) -> str:
        return fill(texts.get(lang, ""), fields)

    parts = sorted(parts, key=lambda p: SCRIPT_ORDER.index(p.task_type))
    lead = parts[0].content
    reminders = [say(p.content["reminder"]) for p in parts if p.content["reminder"].get(lang)]
    steps = [
        {"step": "opening", "text": f"{say(lead['opening'])}{_space(lang)}{say(lead['purpose'])}"},
        {"step": "consent", "text": say(lead["consent"]), "declined": say(lead["declined"])},
        *(_questions(p, say, lang, intro=p is not parts[0]) for p in parts),
        {"step": "complaint", "text": say(lead["complaint"])},
        {"step": "suggestions", "text": say(lead["suggestions"])},
        {"step": "closing", "text": _space(lang).join([*reminders, say(lead["closing"])])},
    ]
    return {
        "title": " + ".join(pick(TASK_TYPES, lang)[p.task_type] for p in parts),
        "kind": kind,
        "kind_label": pick(CUSTOMER_KINDS, lang)[kind],
        "versions": [p.version_id for p in parts],
        "steps": steps,
        "lines": _lines(steps),
    }


def _space(lang: str) -> str:
    return " " if lang == "en" else ""


def _questions(part: ScriptPart, say, lang: str, *, intro: bool) -> dict:
    return {
        "step": "questions",
        "task_type": part.task_type,
        "title": pick(TASK_TYPES, lang)[part.task_type],
        "intro": say(part.content["purpose"]) if intro else None,
        "questions": [
            {
                "key": q["key"],
                "kind": q["kind"],
                "text": say(q["text"]),
                "choices": _choices(q["kind"], lang),
            }  # fmt: skip
            for q in part.content["questions"]
        ],
    }


def _choices(kind: str, lang: str) -> list[dict]:
    if kind == AnswerKind.FIVE_POINT:
        labels = pick(SATISFACTION, lang)
        return [{"value": v, "label": labels[str(v)]} for v in (5, 4, 3, 2, 1)]
    if kind == AnswerKind.YES_NO:
        return [{"value": v, "label": label} for v, label in pick(YES_NO, lang).items()]
    return []


def _lines(steps: list[dict]) -> list[str]:
    lines: list[str] = []
    for step in steps:
        if step["step"] == "questions":
            lines += [step["intro"]] if step["intro"] else []
            lines += [q["text"] for q in step["questions"]]
        else:
            lines += [step["text"], *([step["declined"]] if step.get("declined") else [])]
    return lines


def readable_phone(e164: str | None) -> str:
    """A hotline as people dial it locally, e.g. 0512 6825 8800."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "CN")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def address(name: str, gender: str | None, is_company: bool, locale: str) -> str:
    """Polite form of address: 张先生 / 张女士 / 张伟 (company contacts and unknown gender)."""
    if locale.startswith("en"):
        title = {"M": "Mr ", "F": "Ms "}.get(gender or "", "")
        return f"{title}{name}"
    if is_company or gender not in ("M", "F") or len(name) < 2:
        return name
    return name[0] + ("先生" if gender == "M" else "女士")
