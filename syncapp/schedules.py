"""The hub's periodic work, as django-q2 schedules kept in step after every migrate."""
from django_q.models import Schedule

SCHEDULES = [
    # name, function, minutes between runs
    ("hub: sweep due and orphaned jobs", "syncapp.tasks.sweep", 1),
    ("hub: watch Salesforce orders", "syncapp.tasks.watch_salesforce", 1),
    ("hub: find abandoned carts", "syncapp.tasks.find_abandoned_carts", 15),
]


def ensure_schedules(**kwargs) -> None:
    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes,
                                 "repeats": -1})
