"""The hub's periodic work, as django-q2 schedules kept in step after every migrate."""
import datetime as dt

from django.utils import timezone
from django_q.models import Schedule

SCHEDULES = [
    # name, function, minutes between runs (or the UTC time of day of a daily run)
    ("hub: sweep due and orphaned jobs", "syncapp.tasks.sweep", 1),
    ("hub: watch Salesforce orders", "syncapp.tasks.watch_salesforce", 1),
    ("hub: watch Zuora drafts", "syncapp.tasks.watch_zuora", 1),
    ("hub: find abandoned carts", "syncapp.tasks.find_abandoned_carts", 15),
    ("hub: nightly reconcile", "syncapp.tasks.nightly_reconcile", dt.time(2, 30)),  # daily, 02:30 UTC
    # Hourly, so each run has an hour's worth to delete (Sync settings: retention).
    ("hub: prune records past their retention", "syncapp.tasks.prune_old_records", 60),
]


def ensure_schedules(**kwargs) -> None:
    for name, func, every in SCHEDULES:
        if isinstance(every, dt.time):
            # A daily run keeps its next_run once set: django-q2 moves it on by a day each time.
            Schedule.objects.update_or_create(
                name=name, defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1},
                create_defaults={"func": func, "schedule_type": Schedule.DAILY, "repeats": -1,
                                 "next_run": _next(every)})
            continue
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": every,
                                 "repeats": -1})


def _next(at: dt.time) -> dt.datetime:
    """The next moment the UTC clock shows `at`."""
    now = timezone.now().astimezone(dt.UTC)
    moment = now.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return moment if moment > now else moment + dt.timedelta(days=1)
