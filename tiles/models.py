"""No models: the cache tables are made by migrations/0001_initial.py in SQL.

This module exists so Django sends ``post_migrate`` for this app (it skips apps without a models
module), which is what installs the invalidation triggers (see ``TilesConfig.ready``).
"""
