"""The segment builder's form: a name, a store, and the filter (storage.archive.segments)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from console.archive.forms import CheckboxesField
from storage.archive.segments import Filter

SPEND_BANDS = [
    ("lt5k", _l("under 5,000")),
    ("5k_10k", _l("5,000–10,000")),
    ("10k_20k", _l("10,000–20,000")),
    ("20k_50k", _l("20,000–50,000")),
    ("ge50k", _l("50,000 and more")),
]


class SegmentForm(FlaskForm):
    """A segment's name and filter; models and cities are offered as the store has them."""

    name = StringField(_l("Segment name"), validators=[Length(max=64)])  # needed to save
    store_id = SelectField(_l("Store"), coerce=int)
    models = CheckboxesField(_l("Models"))
    model_year_from = IntegerField(
        _l("Model year from"), validators=[Optional(), NumberRange(1950, 2100)]
    )
    model_year_to = IntegerField(_l("to"), validators=[Optional(), NumberRange(1950, 2100)])
    cities = CheckboxesField(_l("Cities"))
    kind = SelectField(
        _l("Private or company"),
        choices=[("", _l("Either")), ("private", _l("Private")), ("company", _l("Company"))],
    )
    spend_bands = CheckboxesField(_l("Spend in the last 12 months (yuan)"), choices=SPEND_BANDS)
    visits_min = IntegerField(
        _l("Visits in the last 12 months, from"), validators=[Optional(), NumberRange(0, 1000)]
    )
    visits_max = IntegerField(_l("to"), validators=[Optional(), NumberRange(0, 1000)])
    months_since_visit_min = IntegerField(
        _l("Months since the last visit, from"), validators=[Optional(), NumberRange(0, 600)]
    )
    months_since_visit_max = IntegerField(_l("to"), validators=[Optional(), NumberRange(0, 600)])
    loyal = BooleanField(_l("Loyal only (4+ visits and 6,800+ yuan in the last 12 months)"))

    FILTER_FIELDS = (
        "models", "model_year_from", "model_year_to", "cities", "kind", "spend_bands",
        "visits_min", "visits_max", "months_since_visit_min", "months_since_visit_max", "loyal",
    )  # fmt: skip

    def offer(self, choices: dict) -> None:
        """The builder's choices for the chosen store (before validating or rendering)."""
        self.store_id.choices = list(choices["stores"].items())
        self.models.choices = [(m, m) for m in choices["models"]]
        self.cities.choices = [(c, c) for c in choices["cities"]]

    def fill(self, name: str, store_id: int, f: Filter) -> None:
        self.name.data, self.store_id.data = name, store_id
        data = f.as_json()
        for key in self.FILTER_FIELDS:
            getattr(self, key).data = data.get(
                key, [] if key in ("models", "cities", "spend_bands") else None
            )
        self.kind.data = data.get("kind", "")

    def filter(self) -> Filter | None:
        """The filter the form describes; None (with the error at its field) if it is not one."""
        try:
            return Filter.from_json({key: getattr(self, key).data for key in self.FILTER_FIELDS})
        except ValueError as exc:
            field = getattr(self, str(exc), self.visits_max)
            field.errors = [*field.errors, _l("The upper bound is below the lower one.")]
            return None
