"""Deadline and meeting reminders, posted once each to the stand-in Web API."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.app import make_client
from bot.reminders import post_due_reminders
from store.models import AgendaItem, Attendance, Meeting, MeetingNote, Person, SentReminder
from tests.bot.conftest import slack_env, text_of
from tests.bot.slack_stub import SlackAPI

# ws1-analysis-results (owner BRS) is due "May 2018", i.e. by 31 May 2018.
WEEK_BEFORE = dt.datetime(2018, 5, 24, 7, 0, tzinfo=dt.UTC)
DAY_BEFORE = dt.datetime(2018, 5, 30, 7, 0, tzinfo=dt.UTC)


def _give_slack_ids(engine) -> None:
    with Session(engine) as session:
        for email, user in (("tatiana.terekhova@example.org", "UTATIANA"),
                            ("nelson.manda@example.org", "UNELSON")):
            person = session.exec(select(Person).where(Person.email == email)).one()
            person.slack_user_id = user
            session.add(person)
        session.commit()


def test_a_deadline_is_reminded_7_and_1_days_before_to_the_owners_focal_points_once(
        example_engine):
    _give_slack_ids(example_engine)
    with SlackAPI() as api:
        config = slack_env(api, COALITION_SLACK_REMINDERS_CHANNEL="CREMIND")
        client = make_client(config)
        for _ in range(2):  # the second run posts nothing again
            post_due_reminders(engine=example_engine, client=client, config=config,
                               now=WEEK_BEFORE)
        posts = [c.args for c in api.of("chat.postMessage")]
        to_tatiana = [p for p in posts if p["channel"] == "UTATIANA"]
        assert len(to_tatiana) == 1
        assert "Work Stream 1 – Finalise programmatic analysis results" in text_of(to_tatiana[0])
        assert "in 7 days" in to_tatiana[0]["text"]
        assert len(posts) == len({(p["channel"], p["text"]) for p in posts})
        post_due_reminders(engine=example_engine, client=client, config=config, now=DAY_BEFORE)
        tomorrow = [c.args for c in api.of("chat.postMessage")][len(posts):]
        assert any(p["channel"] == "UTATIANA" and "due tomorrow" in p["text"]
                   and "Finalise programmatic analysis" in p["text"] for p in tomorrow)


def test_a_failed_post_is_given_back_and_posted_on_the_next_run(example_engine):
    _give_slack_ids(example_engine)
    with SlackAPI() as api:
        config = slack_env(api)
        client = make_client(config)
        api.failures["chat.postMessage"] = [(500, {})] * 20
        summary = post_due_reminders(engine=example_engine, client=client, config=config,
                                     now=WEEK_BEFORE)
        assert "0 reminders posted" in summary
        with Session(example_engine) as session:
            assert session.exec(select(SentReminder)).all() == []
        api.failures.clear()
        post_due_reminders(engine=example_engine, client=client, config=config, now=WEEK_BEFORE)
        assert any(c.args["channel"] == "UTATIANA" for c in api.of("chat.postMessage"))


def test_a_meeting_is_reminded_the_day_before_with_its_agenda(example_engine):
    _give_slack_ids(example_engine)
    with Session(example_engine) as session:
        meeting = session.exec(select(Meeting).where(Meeting.key == "img-5")).one()
        meeting.status = "planned"
        session.add(meeting)
        tatiana = session.exec(select(Person).where(Person.slack_user_id == "UTATIANA")).one()
        assert session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                     Attendance.person_id == tatiana.id)).one()
        session.commit()
    with SlackAPI() as api:
        config = slack_env(api, COALITION_SLACK_REMINDERS_CHANNEL="CREMIND")
        client = make_client(config)
        for _ in range(2):
            post_due_reminders(engine=example_engine, client=client, config=config,
                               now=dt.datetime(2017, 10, 4, 8, 0, tzinfo=dt.UTC))
        posts = [c.args for c in api.of("chat.postMessage")]
    assert sorted(p["channel"] for p in posts) == ["CREMIND", "UNELSON", "UTATIANA"]
    for post in posts:
        assert post["text"].startswith("Tomorrow: 5th IMG E-waste meeting")
        assert "3. Brief overview of the draft Work Plan 2017/18" in text_of(post)


def test_the_secretariat_is_reminded_once_to_draft_the_minutes_after_a_meeting(example_engine):
    with SlackAPI() as api:
        config = slack_env(api, COALITION_SLACK_SECRETARIAT_CHANNEL="CSECRETARIAT")
        client = make_client(config)
        during = dt.datetime(2017, 10, 5, 14, 0, tzinfo=dt.UTC)  # 16:00 in Geneva
        post_due_reminders(engine=example_engine, client=client, config=config, now=during)
        assert not [c for c in api.of("chat.postMessage") if "minutes" in c.args["text"]]
        for hours in (2, 20):
            post_due_reminders(engine=example_engine, client=client, config=config,
                               now=during + dt.timedelta(hours=hours))
        posts = [c.args for c in api.of("chat.postMessage") if "minutes" in c.args["text"]]
    assert len(posts) == 1 and posts[0]["channel"] == "CSECRETARIAT"
    assert "`/coalition minutes 5`" in posts[0]["text"]


def test_two_workers_posting_reminders_at_once_post_each_once(example_engine):
    """Reminders are claimed by a unique row before posting: racing posters never double."""
    import threading

    _give_slack_ids(example_engine)
    with SlackAPI() as api:
        config = slack_env(api)
        clients = [make_client(config) for _ in range(4)]
        threads = [threading.Thread(target=post_due_reminders, kwargs={
            "engine": example_engine, "client": c, "config": config, "now": WEEK_BEFORE})
            for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        posts = [c.args for c in api.of("chat.postMessage")]
    assert posts, "a reminder is due a week before"
    keys = [(p["channel"], p["text"]) for p in posts]
    assert len(keys) == len(set(keys))


def test_secretariat_replies_in_a_meeting_reminders_thread_are_notes_on_its_items(slack):
    """`2 Conclusion: ...` in the thread of the 5th meeting's reminder is a note on item 2."""
    from tests.bot.conftest import HOSSEIN, TATIANA
    from tests.bot.test_slack_events import post

    engine = slack.runtime.engine
    with Session(engine) as session:
        meeting = session.exec(select(Meeting).where(Meeting.key == "img-5")).one()
        meeting.status = "planned"
        session.add(meeting)
        session.commit()
        meeting_id = meeting.id
    config = slack_env(slack.api, COALITION_SLACK_REMINDERS_CHANNEL="CREMIND")
    post_due_reminders(engine=engine, client=make_client(config), config=config,
                       now=dt.datetime(2017, 10, 4, 8, 0, tzinfo=dt.UTC))
    with Session(engine) as session:
        row = session.exec(select(SentReminder).where(SentReminder.channel == "CREMIND")).one()
    assert row.key.startswith("meeting:img-5:") and row.message_ts

    def reply(user, text, ts, event_id, thread=row.message_ts):
        return slack.event(post(user, text, ts, channel="CREMIND", thread_ts=thread),
                           event_id=event_id)

    for _ in range(2):  # Slack's retry of the same event is stored once
        reply(HOSSEIN, "2 Conclusion: InforMEA is the platform of choice.", "1507100000.1",
              "EvNOTE1")
    (said,) = slack.api.wait_for("chat.postEphemeral")
    assert said.args["user"] == HOSSEIN and said.args["thread_ts"] == row.message_ts
    assert "Noted against item 2 of 5th IMG E-waste meeting" in said.args["text"]
    reply(TATIANA, "2 Conclusion: not the secretariat, so not a note.", "1507100000.2", "EvN2")
    reply(HOSSEIN, "Thanks all, see you tomorrow.", "1507100000.3", "EvN3")
    reply(HOSSEIN, "3 Next step: no thread, no note.", "1507100000.4", "EvN4",
          thread="1507000000.000001")
    reply(HOSSEIN, "3 Next step: EMG to share the work plan by 2017-10-20.", "1507100000.5",
          "EvN5")
    slack.api.wait_for("chat.postEphemeral", 2)
    with Session(engine) as session:
        notes = session.exec(select(AgendaItem.number, MeetingNote.kind, MeetingNote.text)
                             .join(AgendaItem, AgendaItem.id == MeetingNote.agenda_item_id)
                             .where(MeetingNote.meeting_id == meeting_id,
                                    MeetingNote.source == "slack")).all()
    assert sorted(notes) == [
        (2, "conclusion", "InforMEA is the platform of choice."),
        (3, "next_step", "share the work plan.")]  # owner EMG and due date kept apart


def test_a_deadline_of_two_organisations_is_reminded_to_the_contacts_of_both(example_engine):
    """Owned by ITU and EMG: ITU's focal point and EMG's secretariat members hear of it, not
    ITU's other members."""
    from store.deadlines import set_owners
    from store.engine import unit_of_work
    from store.models import Deadline, Organisation

    with unit_of_work(example_engine) as session:
        for email, user in (("mario.castro@example.org", "UMARIO"),  # ITU, focal point
                            ("doris.delgado@example.org", "UDORIS"),  # ITU, member
                            ("hossein.fadaei@example.org", "UHOSSEIN")):  # EMG, secretariat
            person = session.exec(select(Person).where(Person.email == email)).one()
            person.slack_user_id = user
            session.add(person)
        due = (WEEK_BEFORE + dt.timedelta(days=7)).date()
        item = Deadline(key="itu-emg", title="Agree the platform", due_text=due.isoformat(),
                        starts_on=due, due_on=due, origin="slack")
        session.add(item)
        session.flush()
        set_owners(session=session, deadline=item, organisation_ids=list(session.exec(
            select(Organisation.id).where(Organisation.acronym.in_(["ITU", "EMG"]))
            .order_by(Organisation.acronym.desc()))))
    with SlackAPI() as api:
        config = slack_env(api, COALITION_SLACK_REMINDERS_CHANNEL="CREMIND")
        post_due_reminders(engine=example_engine, client=make_client(config), config=config,
                           now=WEEK_BEFORE)
        posts = [c.args for c in api.of("chat.postMessage") if "Agree the platform" in
                 c.args["text"]]
    assert sorted(p["channel"] for p in posts) == ["UHOSSEIN", "UMARIO"]
