"""The scheduler (``hub scheduler``, its own process): it only *queues* each job on its
crontab from settings, in UTC (five fields, or six with seconds first); a worker of the task
engine runs it through the runner. Missed firings collapse into one (``coalesce``), and the
job's lock keeps two workers (or a second scheduler's firings) from running a job twice at once.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from hub.context import HubContext
from hub.jobs.catalogue import JOBS, schedule_of, schedule_setting
from hub.tasks.jobs import enqueue_job

log = logging.getLogger(__name__)

MISFIRE_GRACE_S = 15 * 60


def _scheduled(ctx: HubContext, name: str) -> None:
    try:
        enqueue_job(ctx, name)
    except Exception:
        # The broker is unreachable, say: log, and try at the next firing.
        log.exception("job %s could not be queued", name)


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field with cron's numbering (0 or 7 = Sunday) spelled as names.

    APScheduler 3 numbers weekdays from 0 = Monday, so ``0 2 * * 0`` would fire on Mondays;
    names mean the same to both. Numbers, ranges and steps are expanded to a list of names.
    """
    if not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            start, end = span.split("-", 1)
            first, last = int(start), int(end)
        else:
            first = last = int(span)
            if step_text:
                last = 6
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step >= 1):
            raise ValueError(f"day of week {part!r} is not within 0-7")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def cron_trigger(crontab: str) -> CronTrigger:
    """A trigger in UTC from five crontab fields, or six with seconds first (``*/10 * * * * *``).

    Day-of-week numbers follow cron (0 or 7 = Sunday).
    """
    fields = crontab.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValueError(f"expected 5 or 6 fields, got {len(fields)}")
    second, minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        second=second,
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(day_of_week),
        timezone=UTC,
    )


def build_scheduler(ctx: HubContext, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler with every known job on its crontab from settings (not started)."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_S,
        },
    )
    for name in JOBS:
        crontab = schedule_of(ctx.settings, name)
        if not crontab:
            log.info("job %s has no schedule; it runs only with `hub jobs run %s`", name, name)
            continue
        try:
            trigger = cron_trigger(crontab)
        except ValueError as exc:
            variable = "HUB_" + schedule_setting(name).upper()
            raise ValueError(f"{variable}: not a crontab ({exc})") from exc
        scheduler.add_job(_scheduled, trigger, args=[ctx, name], id=name, name=name)
    return scheduler
