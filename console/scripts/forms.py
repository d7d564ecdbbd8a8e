"""The script editor's form: CSRF and the store (Flask-WTF), and the script's content read from
the posted fields: ``<step>.<lang>`` for each text, ``q-<n>-key|kind|zh_Hans|en|remove`` for
each question row (blank rows add nothing; ``remove`` drops a question)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from console.script_content import LANGS, MAX_QUESTIONS, TEXT_STEPS

BLANK_ROWS = 2  # empty question rows the editor offers for new questions


class ScriptForm(FlaskForm):
    store_id = HiddenField(validators=[InputRequired()])
    note = StringField(validators=[Length(max=200)])

    @property
    def store(self) -> int | None:
        text = self.store_id.data or ""
        return int(text) if text.isdigit() else None


def posted_content(form: Mapping[str, str]) -> tuple[dict, list[int]]:
    """The content as posted, and for each of its questions the editor row it came from (an
    error on ``questions.2`` belongs to row ``rows[2]``)."""
    content: dict = {step: {lang: form.get(f"{step}.{lang}", "") for lang in LANGS}
                     for step in TEXT_STEPS}  # fmt: skip
    questions, rows = [], []
    for n in range(MAX_QUESTIONS + BLANK_ROWS):
        prefix = f"q-{n}-"
        if f"{prefix}key" not in form or form.get(f"{prefix}remove"):
            continue
        texts = {lang: form.get(f"{prefix}{lang}", "") for lang in LANGS}
        key = form.get(f"{prefix}key", "").strip()
        if not key and not any(t.strip() for t in texts.values()):
            continue  # a blank row
        questions.append({"key": key, "kind": form.get(f"{prefix}kind", ""), "text": texts})
        rows.append(n)
    content["questions"] = questions
    return content, rows


def row_field(field: str, rows: list[int]) -> str:
    """``questions.2.key`` -> ``q-5-key`` (the editor's field of that question)."""
    parts = field.split(".")
    if parts[0] != "questions" or len(parts) < 2 or not parts[1].isdigit():
        return field
    n = rows[int(parts[1])] if int(parts[1]) < len(rows) else int(parts[1])
    rest = parts[2] if len(parts) > 2 else "key"
    return f"q-{n}-{rest}"
