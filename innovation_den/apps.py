from django.apps import AppConfig


class InnovationDenConfig(AppConfig):
    name = "innovation_den"
    verbose_name = "Innovation den"
