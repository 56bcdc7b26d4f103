"""Unit-grid topology, evaluation grids, sampling and fishnets: pure functions over shapely/numpy."""
