"""django-q2's own admin pages, with "resubmit" behind a permission: django-q2 offers it to anyone
who can see the list, which would let a read-only role start work."""
from django.contrib import admin, messages
from django_q import admin as q_admin
from django_q.models import Failure, Success


@admin.action(description="Resubmit selected tasks to queue", permissions=["change"])
def resubmit(modeladmin, request, queryset):
    count = len(queryset)
    q_admin.resubmit_task(modeladmin, request, queryset)
    modeladmin.message_user(request, f"Resubmitted {count} task(s) to the queue.", messages.SUCCESS)


class SuccessAdmin(q_admin.TaskAdmin):
    actions = [resubmit]


class FailureAdmin(q_admin.FailAdmin):
    actions = [resubmit]


for model, model_admin in ((Success, SuccessAdmin), (Failure, FailureAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
