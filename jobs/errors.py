"""Refusals of the job endpoints, mapped to HTTP with every other project error."""

from layers.errors import GridcityError


class TooManyJobs(GridcityError):
    """A user with ``GRIDCITY_JOBS_PER_USER`` unfinished jobs of a kind asks for another."""

    status = 429
    rule = "jobs_per_user"


class JobNotReady(GridcityError):
    """The result of a job that has not finished (or failed) is asked for."""

    status = 409
    rule = "job_done"
