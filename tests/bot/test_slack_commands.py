"""The slash command through the real HTTP endpoint, on the E-waste example (today is
6 October 2017 in Geneva)."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, select

from bot.blocks import SHARE_ACTION
from store.models import Deadline, Feed, FeedEntry, Meeting, MeetingNote, MemberUpdate, Person
from tests.bot.conftest import HOSSEIN, STRANGER, TATIANA, text_of


def ack_json(response) -> dict:
    assert response.status_code == 200, response.text
    return json.loads(response.text) if response.text else {}


def ask(slack, text: str, user: str = TATIANA) -> dict:
    """The answer the asker sees: in the acknowledgement, or posted to the response_url."""
    before = len(slack.api.of("response_url"))
    answer = ack_json(slack.command(text, user=user))
    if answer:
        return answer
    return slack.api.wait_for("response_url", before + 1)[-1].args


def known(slack, *users: str) -> None:
    """Let the bot find these users once (by the email Slack gives), as a first question does."""
    for user in users:
        ask(slack, "help", user)


def button_values(payload: dict) -> list[str]:
    return [e["value"] for b in payload.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"] if e.get("action_id") == SHARE_ACTION]


def test_lead_ws1_answers_brs_and_unitar_and_the_asker_is_remembered(slack):
    first = slack.command("lead ws1")
    assert ack_json(first) == {}  # not known by her Slack id yet: users.info, then respond
    (reply,) = slack.api.wait_for("response_url")
    assert reply.args["response_type"] == "ephemeral"
    assert "BRS" in text_of(reply.args) and "UNITAR" in text_of(reply.args)
    assert [c.args["user"] for c in slack.api.of("users.info")] == [TATIANA]
    with Session(slack.runtime.engine) as session:
        person = session.exec(select(Person).where(Person.slack_user_id == TATIANA)).one()
        assert person.email == "tatiana.terekhova@example.org"
    second = ack_json(slack.command("lead ws1"))  # remembered: answered in the ack itself
    assert second["response_type"] == "ephemeral"
    assert "Lead:* Basel, Rotterdam and Stockholm Conventions" in text_of(second) or \
        ("BRS" in text_of(second) and "UNITAR" in text_of(second))
    assert second["text"].count("Lead:") == 2
    assert len(slack.api.of("users.info")) == 1


def test_agenda_5_lists_the_fifth_meetings_three_items_in_the_askers_timezone(slack):
    answer = ask(slack, "agenda 5")
    text = text_of(answer)
    assert "5th IMG E-waste meeting" in text
    for n, title in ((1, "Work Stream 1: Interactive discussion"),
                     (2, "Work Stream 2: Interactive discussion"),
                     (3, "Brief overview of the draft Work Plan 2017/18")):
        assert f"{n}. {title}" in text
    assert "Thursday 05 October 2017, 15:30" in text
    assert "Hossein Fadaei" in text
    stranger = text_of(ask(slack, "agenda 5", STRANGER))  # Slack says New York
    assert "Thursday 05 October 2017, 09:30" in stranger


def test_deadlines_lists_the_next_ones_and_flags_the_overdue(slack):
    text = text_of(ask(slack, "deadlines"))
    assert "Next deadlines" in text
    assert "Distribute draft Terms of Reference for Work Stream 1 and 2" in text
    upcoming, _, overdue = text.partition("Overdue")
    assert "OVERDUE" not in upcoming.split("Next deadlines", 1)[1]
    assert "OVERDUE" in overdue


def test_deadlines_mine_uses_the_askers_organisation(slack):
    answer = text_of(ask(slack, "deadlines mine"))
    assert "Next deadlines for BRS" in answer
    stranger = text_of(ask(slack, "deadlines mine", STRANGER))
    assert "I don't know your organisation" in stranger


def test_who_answers_an_organisation_and_a_person(slack):
    brs = text_of(ask(slack, "who BRS"))
    assert "Lead in Further e-waste analysis (ws1)" in brs
    assert "Tatiana Terekhova" in brs
    person = text_of(ask(slack, "who is Tatiana Terekhova"))
    assert "Ms. Tatiana Terekhova (BRS)" in person


def test_meetings_and_help_and_unknown_words(slack):
    meetings = text_of(ask(slack, "meetings"))
    assert "Upcoming meetings" in meetings and "1st WS1 Team Meeting" in meetings
    assert "5th IMG E-waste meeting" in meetings.split("Recent meetings")[1]
    for text in ("help", "sing me a song", ""):
        assert "deadlines [N]" in text_of(ask(slack, text))


def test_news_lists_the_latest_entries_matching_the_text(slack):
    at = dt.datetime(2017, 10, 2, 9, 0, tzinfo=dt.UTC)
    with Session(slack.runtime.engine) as session:
        feed = Feed(url="https://www.unitar.org/rss.xml", title="UNITAR news")
        session.add(feed)
        session.flush()
        for i, title in enumerate(["Global E-waste Monitor 2017 released", "Green jobs",
                                   "Future news"]):
            session.add(FeedEntry(feed_id=feed.id, identity=f"e{i}", title=title,
                                  link=f"https://unitar.org/{i}", first_seen_at=at,
                                  published_at=at + dt.timedelta(days=i * 3)))
        session.commit()
    latest = text_of(ask(slack, "news"))
    assert "Global E-waste Monitor 2017 released" in latest and "Green jobs" in latest
    assert "Future news" not in latest  # published after today
    monitor = text_of(ask(slack, "news monitor"))
    assert "Monitor" in monitor and "Green jobs" not in monitor


def test_update_records_a_member_update_for_the_askers_organisation(slack):
    answer = text_of(ask(slack, "update BRS published its e-waste guidance"))
    assert "recorded" in answer
    with Session(slack.runtime.engine) as session:
        (update,) = session.exec(select(MemberUpdate)).all()
        person = session.get(Person, update.person_id)
    assert update.text == "BRS published its e-waste guidance"
    assert person.email == "tatiana.terekhova@example.org"
    assert update.organisation_id == person.organisation_id and update.source == "slack"
    assert "don't know who you are" in text_of(ask(slack, "update hello", STRANGER))


def test_unsubscribe_and_subscribe_toggle_the_weekly_digest(slack):
    assert "no longer receive" in text_of(ask(slack, "unsubscribe"))
    with Session(slack.runtime.engine) as session:
        assert not session.exec(select(Person).where(
            Person.slack_user_id == TATIANA)).one().digest_subscribed
    assert "You will receive the weekly digest" in text_of(ask(slack, "subscribe"))
    with Session(slack.runtime.engine) as session:
        assert session.exec(select(Person).where(
            Person.slack_user_id == TATIANA)).one().digest_subscribed


def test_answers_are_ephemeral_with_a_share_in_channel_button_that_posts_for_everyone(slack):
    known(slack, TATIANA)
    answer = ack_json(slack.command("lead ws2"))
    assert answer["response_type"] == "ephemeral"
    assert button_values(answer) == ["lead ws2"]
    assert answer["text"]  # the text fallback is always set
    before = len(slack.api.of("response_url"))
    assert slack.interact({
        "type": "block_actions", "user": {"id": TATIANA}, "team": {"id": "T0001"},
        "api_app_id": "A0APP", "container": {"type": "message", "is_ephemeral": True},
        "trigger_id": "t.1", "channel": {"id": "C0GENERAL"},
        "response_url": slack.api.response_url("share"),
        "actions": [{"type": "button", "action_id": SHARE_ACTION, "block_id": "b",
                     "value": "lead ws2", "action_ts": "1507280000.000100"}],
    }).status_code == 200
    shared, deleted = slack.api.wait_for("response_url", before + 2)[-2:]
    assert shared.args["response_type"] == "in_channel"
    assert "No lead yet" in text_of(shared.args) and f"<@{TATIANA}> shared" in shared.args["text"]
    assert not button_values(shared.args)
    assert deleted.args["delete_original"] is True


def test_a_focal_point_is_refused_secretariat_work_politely_and_nothing_changes(slack):
    for text in ("sync", "note 5.1 Conclusion: agreed", "deadline done tor-ws1-ws2-draft",
                 "meeting add"):
        answer = text_of(ask(slack, text))
        assert "only the secretariat can" in answer, text
        assert "Hossein Fadaei" in answer and "Garam Bel" in answer
    with Session(slack.runtime.engine) as session:
        assert session.exec(select(MeetingNote)).all() == []
        assert session.exec(select(Deadline).where(
            Deadline.key == "tor-ws1-ws2-draft")).one().status == "open"
    assert slack.api.of("views.open") == []


def test_the_secretariat_notes_closes_deadlines_and_syncs(slack):
    noted = text_of(ask(slack, "note 5.1 Conclusion: BRS and UNITAR lead Work Stream One",
                        HOSSEIN))
    assert "Noted against item 1 of 5th IMG E-waste meeting" in noted
    done = text_of(ask(slack, "deadline done tor-ws1-ws2-draft", HOSSEIN))
    assert "Marked done: Distribute draft Terms of Reference" in done
    synced = text_of(ask(slack, "sync", HOSSEIN))
    assert "Synced ewaste-coalition.toml" in synced
    with Session(slack.runtime.engine) as session:
        (note,) = session.exec(select(MeetingNote)).all()
        assert note.kind == "conclusion" and note.source == "slack"


def test_deadline_add_opens_a_form_and_its_submission_is_saved_or_its_errors_shown(slack):
    ask(slack, "help", HOSSEIN)
    assert ack_json(slack.command("deadline add", user=HOSSEIN)) == {}
    (opened,) = slack.api.wait_for("views.open")
    view = opened.args["view"]
    assert opened.args["trigger_id"].startswith("trigger.")
    assert view["callback_id"] == "deadline_form"

    def submit(values: dict, user=HOSSEIN):
        state = {k: {"value": {"type": "plain_text_input", "value": v}}
                 for k, v in values.items()}
        return slack.interact({
            "type": "view_submission", "user": {"id": user}, "team": {"id": "T0001"},
            "api_app_id": "A0APP", "trigger_id": "t.2",
            "view": {**view, "id": "V1", "state": {"values": state}}})

    bad = submit({"key": "ws1-report", "title": "Report", "due": "soon", "owner": "XYZ"})
    errors = json.loads(bad.text)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"due", "owner"}
    ok = submit({"key": "ws1-report", "title": "WS1 report", "due": "2017-11-15",
                 "owner": "brs", "work_stream": "ws1"})
    assert ok.status_code == 200 and ok.text == ""
    with Session(slack.runtime.engine) as session:
        saved = session.exec(select(Deadline).where(Deadline.key == "ws1-report")).one()
    assert (saved.title, saved.due_on, saved.origin) == ("WS1 report", dt.date(2017, 11, 15),
                                                         "slack")
    ask(slack, "help", TATIANA)  # known, a focal point: still not the secretariat
    refused = json.loads(submit({"key": "x2", "title": "x", "due": "2017-11-15"},
                                user=TATIANA).text)
    assert refused == {"response_action": "errors",
                       "errors": {"title": "Only the secretariat can save this."}}


def test_meeting_edit_opens_the_form_prefilled(slack):
    ask(slack, "help", HOSSEIN)
    slack.command("meeting edit img-5", user=HOSSEIN)
    (opened,) = slack.api.wait_for("views.open")
    view = opened.args["view"]
    assert view["private_metadata"] == "img-5"
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["title"] == "5th IMG E-waste meeting"
    assert initial["starts"] == "2017-10-05 15:30"


def test_editing_an_unknown_meeting_says_so_instead_of_opening_a_form(slack):
    answer = text_of(ask(slack, "meeting edit img-99", HOSSEIN))
    assert "There is no meeting 'img-99'" in answer
    assert slack.api.of("views.open") == []


def test_minutes_command_posts_the_draft_to_the_asker_as_a_file(slack):
    from digests.minutes.notes import find_meeting, import_notes
    from store.engine import unit_of_work
    from tests.conftest import NOW, ROOT

    with unit_of_work(slack.runtime.engine) as session:
        import_notes(session=session, meeting=find_meeting(session, "5"),
                     path=ROOT / "examples" / "img5-notes.txt", now=NOW)
    answer = text_of(ask(slack, "minutes 5", HOSSEIN))
    assert "The minutes draft of 5th IMG E-waste meeting is in your direct messages" in answer
    (opened,) = slack.api.of("conversations.open")
    assert opened.args["users"] == HOSSEIN
    (done,) = slack.api.of("files.completeUploadExternal")
    assert done.args["channel_id"] == f"D{HOSSEIN}"
    (data,) = slack.api.uploads.values()
    import io

    import docx

    tables = docx.Document(io.BytesIO(data)).tables
    assert "Mr. Garam Bel" in [row.cells[1].text for row in tables[0].rows]
    refused = text_of(ask(slack, "minutes 5"))
    assert "only the secretariat can" in refused


def _cli_sync(slack) -> None:
    """`coalition sync` of the unchanged example, run by the secretariat on the server."""
    from tests.conftest import EXAMPLE, run_cli

    url = slack.runtime.engine.url.render_as_string(hide_password=False)
    result = run_cli("sync", str(EXAMPLE), env={"COALITION_STORE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "no changes" in result.stdout


def test_a_deadline_marked_done_in_slack_stays_done_through_syncs_of_the_unchanged_file(slack):
    done = text_of(ask(slack, "deadline done tor-ws1-ws2-draft", HOSSEIN))
    assert "Marked done: Distribute draft Terms of Reference" in done
    assert "Synced ewaste-coalition.toml: no changes" in text_of(ask(slack, "sync", HOSSEIN))
    _cli_sync(slack)
    with Session(slack.runtime.engine) as session:
        tor = session.exec(select(Deadline).where(Deadline.key == "tor-ws1-ws2-draft")).one()
    assert tor.status == "done" and tor.done_at is not None
    listed = text_of(ask(slack, "deadlines 20", HOSSEIN))
    assert "Distribute draft Terms of Reference" not in listed


def _sync(slack) -> None:
    """The unchanged example synced again (as the worker does when the file is touched)."""
    from store.engine import unit_of_work
    from store.sync import sync_file
    from tests.conftest import EXAMPLE, NOW

    with unit_of_work(slack.runtime.engine) as session:
        assert not sync_file(session=session, path=EXAMPLE, now=NOW).changed


def _submit(slack, view: dict, values: dict, user=HOSSEIN):
    state = {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in values.items()}
    return slack.interact({
        "type": "view_submission", "user": {"id": user}, "team": {"id": "T0001"},
        "api_app_id": "A0APP", "trigger_id": "t.2",
        "view": {**view, "id": "V1", "state": {"values": state}}})


def _opened(slack, text: str, n: int = 1) -> dict:
    ask(slack, "help", HOSSEIN)
    slack.command(text, user=HOSSEIN)
    return slack.api.wait_for("views.open", n)[-1].args["view"]


def test_a_meeting_edited_in_a_form_keeps_its_new_day_through_syncs_of_the_unchanged_file(slack):
    from zoneinfo import ZoneInfo

    view = _opened(slack, "meeting edit img-6")
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["starts"] == "December 2017"  # as known: no day invented
    values = {k: v for k, v in initial.items() if v}
    assert _submit(slack, view, {**values, "starts": "2017-12-07 10:00"}).text == ""
    _sync(slack)
    text = text_of(ask(slack, "agenda 6", HOSSEIN))
    assert "Thursday 07 December 2017, 10:00" in text
    with Session(slack.runtime.engine) as session:
        img6 = session.exec(select(Meeting).where(Meeting.key == "img-6")).one()
    assert img6.starts_at.astimezone(ZoneInfo("Europe/Zurich")).hour == 10
    assert img6.precision == "minute"


def test_the_meeting_form_takes_a_month_or_a_day_and_a_status(slack):
    view = _opened(slack, "meeting edit img-7")
    base = {"title": "7th IMG E-waste meeting", "number": "7"}
    bad = json.loads(_submit(slack, view, {**base, "starts": "spring", "status": "held"}).text)
    assert set(bad["errors"]) == {"starts", "status"}
    assert _submit(slack, view, {**base, "starts": "April 2018", "status": "postponed"}).text \
        == ""
    text = text_of(ask(slack, "agenda 7", HOSSEIN))
    assert "April 2018 (date to be confirmed)" in text and "Status: postponed" in text


def test_the_deadline_form_takes_co_owners_and_reopens_a_done_deadline(slack):
    ask(slack, "deadline done wp2017-a-mapping", HOSSEIN)  # it is done in the file too
    view = _opened(slack, "deadline edit ws1-tor-comments")
    initial = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert initial["owner"] == "BRS, UNITAR"
    unknown = json.loads(_submit(slack, view, {**initial, "owner": "BRS, NOPE"}).text)
    assert unknown["errors"] == {"owner": "There is no 'NOPE'."}
    assert _submit(slack, view, {**initial, "owner": "UNITAR and ITU"}).text == ""
    reopen = _opened(slack, "deadline edit wp2017-a-mapping", 2)
    values = {b["block_id"]: b["element"].get("initial_value") or "" for b in reopen["blocks"]}
    assert values["status"] == "done"
    assert _submit(slack, reopen, {**values, "status": "open"}).text == ""
    _sync(slack)
    from store.deadlines import owners_of

    with Session(slack.runtime.engine) as session:
        tor = session.exec(select(Deadline).where(Deadline.key == "ws1-tor-comments")).one()
        mapping = session.exec(select(Deadline).where(Deadline.key == "wp2017-a-mapping")).one()
        owners = [a for _, a in owners_of(session=session, deadline_ids=[tor.id])[tor.id]]
    assert owners == ["UNITAR", "ITU"]
    assert (mapping.status, mapping.done_at) == ("open", None)
