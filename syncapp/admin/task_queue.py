"""django-q2's own admin pages, with two guards django-q2 leaves out.

- Resubmit is behind a permission: django-q2 offers it to anyone who can see the list, which would
  let a read-only role start work.
- Schedules and queued tasks name a function and its arguments, and a worker runs whatever they
  name: only a superuser adds or changes them, whatever permissions a group was given. The hub's
  own schedules are kept by code (`syncapp.schedules`).
"""
from django.contrib import admin, messages
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success


@admin.action(description="Resubmit selected tasks to queue", permissions=["change"])
def resubmit(modeladmin, request, queryset):
    count = len(queryset)
    q_admin.resubmit_task(modeladmin, request, queryset)
    modeladmin.message_user(request, f"Resubmitted {count} task(s) to the queue.", messages.SUCCESS)


class SuccessAdmin(q_admin.TaskAdmin):
    actions = [resubmit]


class FailureAdmin(q_admin.FailAdmin):
    actions = [resubmit]


class SuperuserWrites:
    """Adding or changing is for superusers only; looking and deleting follow the permissions."""

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)


class ScheduleAdmin(SuperuserWrites, q_admin.ScheduleAdmin):
    pass


class QueueAdmin(SuperuserWrites, q_admin.QueueAdmin):
    pass


for model, model_admin in ((Success, SuccessAdmin), (Failure, FailureAdmin), (Schedule, ScheduleAdmin),
                           (OrmQ, QueueAdmin)):
    if admin.site.is_registered(model):  # OrmQ is registered only with the ORM broker
        admin.site.unregister(model)
        admin.site.register(model, model_admin)
