-- SQLite only (its outbox statistics made every claim recompile); the
-- outbox on PostgreSQL keeps its statistics, which its planner needs.
SELECT 1;
