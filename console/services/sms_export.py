"""A campaign's report as a file a spreadsheet opens: its figures (targeted, excluded by reason,
sent, delivered, failed, opted out after, replies...) and every recipient's row. CSV (UTF-8
with BOM): the figures first, a blank line, then the recipients under their header. XLSX: the
recipients on the first sheet, the figures on a second."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy.orm import Session

from console.services.sms import campaign_of
from storage.archive.normalise import readable_phone
from storage.errors import N_
from storage.sms import report

# the figures' labels, as the campaign's page words them; the view translates them
FIGURE_LABELS = {
    "report": N_("Report"),
    "targeted": N_("Targeted"),
    "excluded": N_("Excluded"),
    "queued": N_("Waiting to be sent"),
    "sent": N_("Sent"),
    "parts": N_("Parts"),
    "delivered": N_("Delivered to the phone"),
    "failed": N_("Failed"),
    "unknown": N_("Unknown (a supervisor decides)"),
    "opted_out_after": N_("Opted out after it"),
    "replies": N_("Replies"),
    "rsvp_yes": N_("Coming (replied 1)"),
    "rsvp_no": N_("Not coming (replied 2)"),
    "recipients": N_("Recipients"),
    "by_reason": N_("%(figure)s: %(reason)s"),  # e.g. Excluded: No SMS consent
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(
    session: Session,
    user_id: int,
    campaign_id: int,
    fmt: str,
    header: list[str],
    texts: dict,
    labels: dict[str, str],
    tz: ZoneInfo,
) -> tuple[bytes, str, str]:
    """The report as CSV or XLSX: (data, file name, mimetype). ``texts`` words states and
    reasons, ``labels`` the figures (FIGURE_LABELS, translated)."""
    c = campaign_of(session, user_id, campaign_id)
    figures = [[labels["report"], c.name], *_figure_rows(report.figures(session, c), c.rsvp,
                                                          texts, labels)]  # fmt: skip
    rows = [
        [name, readable_phone(phone) if phone else "", texts.get(state, state),
         texts.get(reason, reason or ""), parts,
         sent_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if sent_at else "", provider_id or ""]
        for name, phone, state, reason, parts, sent_at, provider_id in report.recipients(session, c)
    ]  # fmt: skip
    name = f"sms-campaign-{c.id}"
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        for title, lines in ((labels["recipients"], [header, *rows]), (labels["report"], figures)):
            sheet = book.create_sheet(title[:31])
            for line in lines:
                sheet.append([_safe(v) for v in line])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), f"{name}.xlsx", XLSX
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([_safe(v) for v in line] for line in [*figures, [], header, *rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), f"{name}.csv", "text/csv; charset=utf-8"


def _figure_rows(f: report.Figures, rsvp: bool, texts: dict, labels: dict[str, str]) -> list:
    """(label, number) lines in the campaign page's order; reasons as "Excluded: No consent"."""

    def by_reason(head: str, counts: dict[str, int]) -> list:
        return [
            [labels["by_reason"] % {"figure": labels[head], "reason": texts.get(r, r)}, n]
            for r, n in counts.items()
        ]

    lines = [
        [labels["targeted"], f.targeted], [labels["excluded"], f.excluded_total],
        *by_reason("excluded", f.excluded), [labels["queued"], f.queued],
        [labels["sent"], f.sent], [labels["parts"], f.parts], [labels["delivered"], f.delivered],
        [labels["failed"], f.failed], *by_reason("failed", f.failures),
        [labels["unknown"], f.unknown], [labels["opted_out_after"], f.opted_out_after],
        [labels["replies"], f.replies],
    ]  # fmt: skip
    if rsvp:
        lines += [[labels["rsvp_yes"], f.rsvp_yes], [labels["rsvp_no"], f.rsvp_no]]
    return lines


def _safe(value: object) -> object:
    """A text a spreadsheet would run as a formula is quoted (a +86 number is not one)."""
    if (
        isinstance(value, str)
        and value.startswith(("=", "+", "-", "@"))
        and not value.startswith("+86")
    ):
        return "'" + value
    return value
