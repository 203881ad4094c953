"""Prometheus metrics.

Totals (feeds, entries, digests sent, failures) are read from the store at scrape time, so
every process behind a load balancer reports the same truth however many share the store.
Latencies are per process, as Prometheus expects of a histogram. The health gauges are the
facts `/healthz` reports (`worker.health`), read at the same moment.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func
from sqlmodel import Session, select

from store.engine import StoreError
from store.models import DigestDelivery, Feed, FeedEntry, MemberUpdate
from worker.health import Health

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StoreCollector:
    def __init__(self, engine, health: Callable[[], Health]):
        self.engine = engine
        self.health = health

    def collect(self):
        report = self.health()
        yield from _health_gauges(report)
        if not report.reachable:
            return
        try:
            yield from self._totals()
        except StoreError:  # the store went away since: the health gauges say so next time
            return

    def _totals(self):
        with Session(self.engine) as session:
            feeds = GaugeMetricFamily("coalition_feeds", "Feeds by status", labels=["status"])
            for status, n in session.exec(select(Feed.status, func.count()).group_by(Feed.status)):
                feeds.add_metric([status], n)
            yield feeds
            yield GaugeMetricFamily("coalition_feed_entries", "Feed entries stored",
                                    value=session.exec(select(func.count(FeedEntry.id))).one())
            yield GaugeMetricFamily("coalition_feed_errors", "Consecutive feed failures, summed",
                                    value=session.exec(select(
                                        func.coalesce(func.sum(Feed.error_count), 0))).one())
            yield GaugeMetricFamily("coalition_member_updates", "Member updates stored",
                                    value=session.exec(select(func.count(MemberUpdate.id))).one())
            deliveries = GaugeMetricFamily("coalition_digest_deliveries",
                                           "Digest deliveries by status", labels=["status"])
            for status, n in session.exec(select(DigestDelivery.status, func.count())
                                          .group_by(DigestDelivery.status)):
                deliveries.add_metric([status], n)
            yield deliveries


def _health_gauges(report: Health):
    """What /healthz says, as gauges."""
    yield GaugeMetricFamily("coalition_healthy", "1 when /healthz answers 200",
                            value=1 if report.ok else 0)
    yield GaugeMetricFamily("coalition_store_up", "1 when the store answers",
                            value=1 if report.reachable else 0)
    yield GaugeMetricFamily("coalition_store_writable",
                            "1 when the store can be reached and written",
                            value=1 if report.store == "ok" else 0)
    success = GaugeMetricFamily("coalition_job_last_success_timestamp_seconds",
                                "When each scheduled job last succeeded", labels=["job"])
    failing = GaugeMetricFamily("coalition_job_failing",
                                "1 when a job's last run failed", labels=["job"])
    unrecorded = GaugeMetricFamily("coalition_job_unrecorded",
                                   "1 when this process could not record a job's last run",
                                   labels=["job"])
    gone = GaugeMetricFamily("coalition_job_lease_holder_gone",
                             "1 when a job's lease is held by a process that is gone",
                             labels=["job"])
    for job in report.jobs:
        if job.last_success_at:
            success.add_metric([job.name], job.last_success_at.timestamp())
        failing.add_metric([job.name], 1 if job.last_error else 0)
        unrecorded.add_metric([job.name], 1 if job.unrecorded else 0)
        gone.add_metric([job.name], 1 if job.holder_gone else 0)
    yield from (success, failing, unrecorded, gone)


class Metrics:
    def __init__(self, engine, *, health: Callable[[], Health]):
        self.registry = CollectorRegistry()
        self.registry.register(StoreCollector(engine, health))
        self.command_latency = Histogram(
            "coalition_command_seconds", "Time to answer a Slack command or HTTP request",
            ["command"], registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

    def render(self) -> bytes:
        return generate_latest(self.registry)
