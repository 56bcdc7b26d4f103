"""Background jobs on procrastinate: the business record every queued job keeps (status, progress,
outcome), its lifecycle in a worker, and the recovery of jobs whose worker died."""
