-- Filling an outbox used to ANALYZE sends. With SQLite's sample statistics
-- (sqlite_stat4) a statement whose bound values may change its plan is
-- compiled again on every run, and the sender's claims and records all
-- are: that cost about a tenth of its CPU. The outbox's queries need no
-- statistics, so the samples of sends go. ANALYZE first creates the table
-- on databases that never ran it; ANALYZE sqlite_schema makes this
-- connection reload statistics without them.
ANALYZE sends;
DELETE FROM sqlite_stat4 WHERE tbl = 'sends';
ANALYZE sqlite_schema;
