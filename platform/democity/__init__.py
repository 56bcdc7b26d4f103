"""The seeded demo city: a Dafeng-sized district 大丰区 (320982) generated in memory and loaded into PostGIS.

``generate`` builds the city as plain arrays and shapely geometries (pure, reproducible from a seed);
``load`` writes it set-based with COPY in one audited transaction. The same generator feeds the demo
(``gridcity demo``), the tests and the benchmarks (ARCHITECTURE "Tests and benchmarks").
"""
