"""Beat's schedule in the admin: the coordinator reads it, nobody changes it there by accident.

The schedule is code (``settings.CELERY_BEAT_SCHEDULE``); beat's ``DatabaseScheduler`` copies it into
django_celery_beat's tables at every start, so an edit in the admin would last only until the next
deploy. ``konten/rules.py`` lets the coordinator *view* the periodic tasks and their schedules. Django
offers an action without ``allowed_permissions`` to everyone who may view the list, and
django_celery_beat's actions (enable, disable, toggle, run now) declare none — so they are offered here
only to those who may change periodic tasks (superusers).
"""

from django.contrib import admin
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

CHANGING_ACTIONS = ("enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks")

admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            for name in CHANGING_ACTIONS:
                actions.pop(name, None)
        return actions
