"""Template tags of the ops console."""
from django import template

from syncapp.admin import dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def console_dashboard(context):
    """The dashboard's figures, for staff who may see the hub's records (None for others)."""
    user = context["request"].user
    return dashboard.build() if user.has_module_perms("syncapp") else None
