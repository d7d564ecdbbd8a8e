"""The archive's forms: a customer's profile, phones and consent (Flask-WTF, CSRF on).

Values are checked and put in their stored form here (numbers as E.164, call windows as
``HH:MM-HH:MM;...``, blocked days as ``6,7``) by the archive's pure parsers; the service then
applies what changed."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from console.services.archive_edit import ConsentEdit, CustomerEdit, PhoneEdit
from storage.archive import normalise as norm
from storage.codes import PhoneValidity

PHONE_KINDS = [
    ("mobile", _l("Mobile")),
    ("landline", _l("Landline")),
    ("office", _l("Office")),
    ("home", _l("Home")),
]
VALIDITIES = [
    (PhoneValidity.UNVERIFIED.value, _l("Unverified")),
    (PhoneValidity.VALID.value, _l("Valid")),
    (PhoneValidity.WRONG.value, _l("Wrong number")),
    (PhoneValidity.EMPTY.value, _l("Empty number")),
]
WEEKDAYS = [
    (1, _l("Mon")),
    (2, _l("Tue")),
    (3, _l("Wed")),
    (4, _l("Thu")),
    (5, _l("Fri")),
    (6, _l("Sat")),
    (7, _l("Sun")),
]


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _phone_number(form, field) -> None:
    if field.data and norm.to_e164(field.data) is None:
        raise ValidationError(
            _l("Not a phone number we can dial (mobile, or landline with area code).")
        )


def _call_windows(form, field) -> None:
    try:
        windows = norm.parse_call_windows(field.data)
    except ValueError:
        raise ValidationError(
            _l("Write HH:MM-HH:MM, several separated by ';' (e.g. 09:00-11:30;19:00-20:30).")
        ) from None
    if len(norm.format_call_windows(windows) or "") > 64:
        raise ValidationError(_l("At most five call windows."))


def _birthday(form, field) -> None:
    if field.data and not date(1900, 1, 1) <= field.data <= date.today():
        raise ValidationError(_l("A birthday between 1900 and today."))


class PhoneForm(Form):
    phone_id = HiddenField()
    number = StringField(_l("Number"), validators=[Optional(), Length(max=40), _phone_number])
    kind = SelectField(_l("Kind"), choices=PHONE_KINDS, default="mobile")
    validity = SelectField(
        _l("Validity"), choices=VALIDITIES, default=PhoneValidity.UNVERIFIED.value
    )


class ConsentForm(Form):
    channel = HiddenField()
    purpose = HiddenField()
    granted = SelectField(choices=[("1", _l("Yes")), ("0", _l("No"))])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class CustomerForm(FlaskForm):
    version = HiddenField()
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    gender = SelectField(
        _l("Gender"), choices=[("", "—"), ("M", _l("Male")), ("F", _l("Female"))], default=""
    )
    birthday = DateField(_l("Birthday"), validators=[Optional(), _birthday])
    is_company = SelectField(
        _l("Private or company"), choices=[("0", _l("Private")), ("1", _l("Company"))]
    )
    province = StringField(_l("Province"), validators=[Length(max=32)])
    city = StringField(_l("City"), validators=[Length(max=32)])
    county = StringField(_l("County / district"), validators=[Length(max=32)])
    street = StringField(_l("Street address"), validators=[Length(max=200)])
    grade = StringField(_l("Grade"), validators=[Length(max=16)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=4000)])
    call_windows = StringField(_l("Call windows"), validators=[Length(max=120), _call_windows])
    blocked_days = CheckboxesField(_l("Blocked days"), choices=WEEKDAYS, coerce=int)
    phones = FieldList(FormField(PhoneForm), min_entries=1)
    consents = FieldList(FormField(ConsentForm))

    def fill(self, data: dict) -> None:
        """Start from the stored record (a GET)."""
        p = data["profile"]
        self.version.data = data["version"]
        for name in ("name", "province", "city", "county", "street", "grade", "notes"):
            getattr(self, name).data = p[name]
        self.gender.data = p["gender"]
        self.birthday.data = _date(p["birthday"])
        self.is_company.data = "1" if p["is_company"] else "0"
        self.call_windows.data = p["call_windows"]
        self.blocked_days.data = p["blocked_days"]
        while len(self.phones):
            self.phones.pop_entry()
        for phone in data["phones"] + [
            {"id": "", "number": "", "kind": "mobile", "validity": PhoneValidity.UNVERIFIED.value}
        ]:
            self.phones.append_entry(
                {"phone_id": phone["id"], "number": phone["number"], "kind": phone["kind"],
                 "validity": phone["validity"]}
            )  # fmt: skip
        for c in data["consents"]:
            self.consents.append_entry(
                {"channel": c["channel"], "purpose": c["purpose"],
                 "granted": "1" if c["granted"] else "0", "reason": c["reason"]}
            )  # fmt: skip

    def edit(self) -> CustomerEdit:
        """What was submitted, in the form the archive stores it."""
        windows = norm.format_call_windows(norm.parse_call_windows(self.call_windows.data))
        profile = {
            name: (getattr(self, name).data or "").strip() or None
            for name in ("province", "city", "county", "street", "grade", "notes")
        }
        profile |= {
            "name": self.name.data.strip(),
            "gender": self.gender.data or None,
            "birthday": self.birthday.data,
            "is_company": self.is_company.data == "1",
            "call_windows": windows,
            "blocked_days": norm.format_blocked_days(sorted(set(self.blocked_days.data or []))),
        }
        return CustomerEdit(
            version=self.version.data or "",
            profile=profile,
            phones=[
                PhoneEdit(
                    field=entry.name,
                    id=int(entry.phone_id.data) if (entry.phone_id.data or "").isdigit() else None,
                    e164=norm.to_e164(entry.number.data),
                    kind=entry.kind.data,
                    validity=entry.validity.data,
                )
                for entry in self.phones
            ],
            consents=[
                ConsentEdit(
                    field=entry.name,
                    channel=entry.channel.data,
                    purpose=entry.purpose.data,
                    granted=entry.granted.data == "1",
                    reason=(entry.reason.data or "").strip() or None,
                )
                for entry in self.consents
            ],
        )

    def show_error(self, field: str | None, message: str) -> bool:
        """Put a service's error next to the field it names (``phones-1-number``)."""
        for candidate in self._fields_named(field):
            candidate.errors = [*candidate.errors, message]  # type: ignore[list-item]
            return True
        return False

    def _fields_named(self, name: str | None):
        if not name:
            return
        for field in self:
            if field.name == name:
                yield field
            if isinstance(field, FieldList):
                for entry in field:
                    for sub in entry:
                        if sub.name == name:
                            yield sub


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None
