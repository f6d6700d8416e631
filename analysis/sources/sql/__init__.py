"""SQL query logs: PostgreSQL (stderr, csvlog, jsonlog, syslog, pg_stat_statements) and
MySQL/MariaDB (general and slow logs)."""

from analysis.sources.sql.miner import mine_sql_log

__all__ = ["mine_sql_log"]
