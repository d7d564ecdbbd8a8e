"""Supervisors listen to recorded calls: the WAV is streamed to a centre head of the call's
store, linked from the customer's calls, and to nobody else. Without this a recording is
either unreachable or a leak of a customer's voice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from console import create_app
from dialer.tones import tone, write_wav
from storage.config import load_config
from storage.db import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade
from storage.models import CallAttempt, CallTask, UserStore
from tests import archive_seed, personas


class Site:
    def __init__(self, tmp: Path) -> None:
        url = f"sqlite:///{tmp / 'huifang.db'}"
        upgrade(url)
        engine = make_engine(url)
        self.sessions = make_session_factory(engine)
        with session_scope(self.sessions) as s:
            self.archive = archive_seed.seed(s)
            task = s.scalar(select(CallTask).where(CallTask.customer_id == self.archive.zhang_wei))
            attempt = s.scalar(select(CallAttempt).where(CallAttempt.task_id == task.id))
            attempt.recording_path = f"recordings/{attempt.id}.wav"
            self.attempt_id = attempt.id
        self.instance = tmp / "instance"
        write_wav(self.instance / "recordings" / f"{self.attempt_id}.wav", tone(1000, 1.0))
        env = {
            "HUIFANG_INSTANCE": str(self.instance),
            "HUIFANG_DATABASE_URL": url,
            "HUIFANG_SECRET_KEY": "k",
            "HUIFANG_INTERNAL_TOKEN": "t",
            "HUIFANG_TESTING": "1",
        }
        self.app = create_app(load_config(env))

    def client(self, username: str) -> FlaskClient:
        http = self.app.test_client()
        page = http.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
        form = {"username": username, "password": personas.PASSWORD, "csrf_token": token}
        assert http.post("/login", data=form).status_code == 302
        return http


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    site = Site(tmp_path)
    yield site
    site.sessions.kw["bind"].dispose()
    site.app.extensions["huifang.sessions"].kw["bind"].dispose()


def test_the_centre_head_hears_the_recording_linked_from_the_customers_calls(site):
    boss = site.client("boss")
    page = boss.get(f"/archive/customers/{site.archive.zhang_wei}").get_data(as_text=True)
    link = f"/recordings/{site.attempt_id}.wav"
    assert f'href="{link}"' in page
    with boss.get(link) as reply:
        assert reply.status_code == 200 and reply.mimetype == "audio/wav"
        assert reply.data[:4] == b"RIFF" and len(reply.data) == 44 + 16000
    with boss.get(link, headers={"Range": "bytes=0-3"}) as ranged:  # the audio player seeks
        assert ranged.status_code == 206 and ranged.data == b"RIFF"


def test_a_representative_sees_the_call_but_no_recording_link(site):
    page = site.client("rep").get(f"/archive/customers/{site.archive.zhang_wei}")
    assert "/recordings/" not in page.get_data(as_text=True)


def test_nobody_without_the_wallboard_hears_it_and_another_stores_head_is_told_nothing(site):
    assert site.client("lina").get(f"/recordings/{site.attempt_id}.wav").status_code == 403
    with session_scope(site.sessions) as s:
        boss_id = site.archive.users["boss"]
        s.query(UserStore).filter(UserStore.user_id == boss_id).delete()
        s.add(UserStore(user_id=boss_id, store_id=site.archive.other_store))
    assert site.client("boss").get(f"/recordings/{site.attempt_id}.wav").status_code == 404


def test_a_recording_path_outside_the_recordings_folder_or_gone_is_not_found(site):
    gm = site.client("gm")
    (site.instance / "secret_key").write_text("do not serve")
    for path in ("secret_key", "recordings/../secret_key", "recordings/999.wav"):
        with session_scope(site.sessions) as s:
            s.get_one(CallAttempt, site.attempt_id).recording_path = path
        assert gm.get(f"/recordings/{site.attempt_id}.wav").status_code == 404
