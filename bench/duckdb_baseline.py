"""The baseline for the spend views: DuckDB adds up the same claim lines (the CSV files the
benchmark imported) per member, provider, lot, product and month, timed like Samenspel's views:
three warm-up runs, then thirty, p50 and p95. Loading the files is not timed."""
import glob
import sys
import time

import duckdb

work = sys.argv[1]
con = duckdb.connect()
con.execute(
    f"""
    CREATE TABLE lines AS
    SELECT wet AS law, 'GM' || lpad(CAST(gemeente AS VARCHAR), 4, '0') AS municipality, aanbieder AS provider,
           1 AS lot, productcategorie || ' ' || productcode AS product,
           CAST(strftime(CAST(begindatum AS DATE), '%Y%m') AS INTEGER) AS month,
           productcategorie AS category, bsn AS client,
           CAST(volume AS BIGINT) AS volume,
           CAST(round(CAST(replace(bedrag, ',', '.') AS DECIMAL(18, 2)) * 100) AS BIGINT) AS amount_cents
    FROM read_csv({sorted(glob.glob(work + '/declaraties-*.csv'))!r}, delim = ';', header = true, all_varchar = true)
    """
)
con.execute(
    f"""
    CREATE TABLE assignments AS
    SELECT 'GM' || lpad(CAST(gemeente AS VARCHAR), 4, '0') AS municipality,
           CAST(ingangsdatum AS DATE) AS starts_on, CAST(NULLIF(einddatum, '') AS DATE) AS ends_on
    FROM read_csv({work + '/toewijzingen.csv'!r}, delim = ';', header = true, all_varchar = true)
    """
)
count = con.execute("SELECT count(*) FROM lines").fetchone()[0]
print(f"duckdb {duckdb.__version__}: {count} declaratieregels geladen")
queries = []
for name, key in [("gemeente", "municipality"), ("aanbieder", "provider"), ("perceel", "lot"),
                  ("product", "product"), ("maand", "month")]:
    queries.append((f"uitgaven per {name}",
                    f"SELECT {key}, sum(amount_cents), sum(volume), count(*) FROM lines "
                    f"WHERE month BETWEEN 202501 AND 202512 AND law = 'jeugd' GROUP BY {key} ORDER BY {key}"))
queries += [
    ("cliënten per gemeente",
     "SELECT municipality, count(DISTINCT client), sum(amount_cents) FROM lines "
     "WHERE month BETWEEN 202501 AND 202512 AND law = 'jeugd' GROUP BY municipality ORDER BY municipality"),
    ("cliënten en bedrag per aanbieder en categorie",
     "SELECT provider, category, count(DISTINCT client), sum(amount_cents) FROM lines "
     "WHERE month BETWEEN 202501 AND 202512 AND law = 'jeugd' GROUP BY provider, category ORDER BY 1, 2"),
    ("lopende toewijzingen per lid per maand",
     "SELECT municipality, m.first, count(*) FROM assignments, "
     "(SELECT d AS first, last_day(d) AS last FROM range(DATE '2025-01-01', DATE '2026-01-01', INTERVAL 1 MONTH) t(d)) m "
     "WHERE starts_on <= m.last AND (ends_on IS NULL OR ends_on >= m.first) GROUP BY 1, 2 ORDER BY 1, 2"),
]
for name, query in queries:
    times = []
    for i in range(33):
        start = time.perf_counter()
        rows = con.execute(query).fetchall()
        if i >= 3:
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p50 = times[len(times) // 2]
    p95 = times[round((len(times) - 1) * 0.95)]
    print(f"duckdb {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms ({len(rows)} rijen)")
