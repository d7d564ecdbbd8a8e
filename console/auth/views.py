from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from console.access import Permission, can
from console.auth.login import SignedInUser
from console.db import transaction, utcnow
from console.realtime.notifier import notifier
from console.services import desk
from storage.errors import DomainError

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_agent:
        return redirect(url_for("agent.console"))
    if not current_user.is_supervisor and not can(Permission.VIEW_ARCHIVE):
        return redirect(url_for("notices.index"))  # e.g. a service advisor: cases handed over
    if current_user.is_supervisor or not can(Permission.VIEW_ARCHIVE):
        return redirect(url_for("supervisor.wallboard"))
    return redirect(url_for("archive.search"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        with transaction() as s:
            user = desk.authenticate(s, form.username.data or "", form.password.data or "")
            signed_in = SignedInUser.of(user) if user else None
            if signed_in and signed_in.is_agent:
                desk.log_in(s, signed_in.id, utcnow())
        if signed_in is None:
            flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        login_user(signed_in)
        if signed_in.is_agent:
            notifier().agent_logged_in(signed_in.id)
        return redirect(url_for("auth.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    agent_id = current_user.id if current_user.is_agent else None
    if agent_id is not None:
        try:
            with transaction() as s:
                desk.log_out(s, agent_id, utcnow())
        except DomainError as exc:
            flash(exc.message, "warning")
            return redirect(url_for("auth.home"))
    logout_user()
    if agent_id is not None:
        notifier().agent_logged_out(agent_id)
    return redirect(url_for("auth.login"))
