"""Rebuild the spelling vocabularies of the engagement and lessons searches from their rows.

Their write paths keep them current; run this once for rows written before they existed
(or to drop words no longer used). The registry's own vocabulary is rebuilt by
``suppliers.services.refresh_search_vectors()``. Lives in the den, the top layer, which
may read engagement too.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from engagement.search import rebuild_vocabulary as rebuild_engagement
from innovation_den.search import rebuild_vocabulary as rebuild_lessons


class Command(BaseCommand):
    help = "Rebuild the spelling vocabularies of the engagement and lessons searches."

    def handle(self, *args, **options):
        rebuild_engagement()
        rebuild_lessons()
        self.stdout.write("Rebuilt the engagement and lessons search vocabularies.")
