from django.core.management.base import BaseCommand

from fleet.maintain import maintain


class Command(BaseCommand):
    help = "Create the GPS fixes' day partitions ahead and detach those older than the retention."

    def handle(self, *args: object, **options: object) -> None:
        made, detached = maintain()
        self.stdout.write(f"partitions ahead: {made[0]} … {made[-1]}; detached: {', '.join(detached) or 'none'}")
