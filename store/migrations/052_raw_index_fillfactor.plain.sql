-- Raw points mostly arrive in time order per series: leaf pages filled to the brim instead of 90 %
-- (about 3 bytes per point of index).
-- (Plain PostgreSQL and PGlite only: TimescaleDB compresses old chunks instead.)
ALTER INDEX measurements_pkey SET (fillfactor = 100);
