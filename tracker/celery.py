"""The Celery application, configured from Django settings (CELERY_* names), and the signals that
carry a web request's id into the tasks it enqueues."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from tracker import requestid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

before_task_publish.connect(requestid.copy_request_id_into_task_headers)
task_prerun.connect(requestid.restore_request_id)
task_postrun.connect(requestid.forget_request_id)
