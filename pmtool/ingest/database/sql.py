"""The SQL of one extraction rule, composed from the profile with every name quoted as an identifier.

For a rule on table ``T`` with history table ``T_history`` the query reads all versions of every row
(history and live row), orders them by the start of their validity period, and keeps the versions whose
watched column differs from the version before (``lag``) and holds one of the ``to`` values. The case is
found through the row's path to the case table (live rows), the user through the users table. Every
output column is text; times are written in one of :data:`~pmtool.ingest.database.profile.TIME_FORMATS`
so that the import pipeline reads them exactly like an export's.

No value from the profile is ever pasted into the SQL text: names go through ``psycopg.sql.Identifier``
and values (``to``, the activity, the object type) are query parameters.
"""

from __future__ import annotations

from typing import Any

from pmtool.ingest.database.catalog import Catalog
from pmtool.ingest.database.profile import (
    ACTIVITY,
    CASE_ID,
    OBJECT_ID,
    OBJECT_TYPE,
    PERIOD_START,
    RESOURCE,
    ROLE,
    TIMESTAMP,
    EventRule,
    ExtractionProfile,
)

_FROM = "__from"
_RID = "__rid"
_PREV = "__prev"
_TEXT_FORMATS = {
    "date": "YYYY-MM-DD",
    "timestamp": "YYYY-MM-DD HH24:MI:SS.US",
}
_UTC_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def output_columns(profile: ExtractionProfile) -> tuple[str, ...]:
    """The columns every rule query returns, in order."""
    return (CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE, ROLE, OBJECT_TYPE, OBJECT_ID, *profile.case_attributes)


def rule_query(profile: ExtractionProfile, rule: EventRule, catalog: Catalog) -> tuple[Any, dict[str, Any]]:
    """The query for ``rule`` and its parameters (the catalog must have passed ``check_profile``)."""
    from psycopg import sql

    schema = catalog.schema
    spec = profile.table(rule.table)
    history = profile.history_table(rule.table)
    user = rule.user or spec.user
    has_period = profile.period in catalog.columns[rule.table]
    needed = list(dict.fromkeys(c for c in (rule.column, rule.activity_column, *rule.time, user,
                                             spec.case[0] if spec.case else None, spec.object_key)
                                if c and c != PERIOD_START))

    def ident(*parts: str) -> Any:
        return sql.Identifier(*parts)

    def versions(table: str) -> Any:
        start = (sql.SQL("lower({})").format(ident(profile.period)) if has_period
                 else sql.SQL("NULL::timestamptz"))
        return sql.SQL("SELECT {rid} AS {rid_alias}, {start} AS {from_alias}, {cols} FROM {table}").format(
            rid=ident(profile.row_id), rid_alias=ident(_RID), start=start, from_alias=ident(_FROM),
            cols=sql.SQL(", ").join(ident(c) for c in needed), table=ident(schema, table))

    union = versions(rule.table)
    if history:
        union = sql.SQL("{} UNION ALL {}").format(versions(history), union)

    joins: list[Any] = []
    if spec.case:
        link = sql.SQL("w.{}").format(ident(spec.case[0]))
        for step, hop in enumerate(spec.case[1:], 1):
            hop_table, hop_column = hop.split(".")
            alias = f"__hop{step}"
            joins.append(sql.SQL("LEFT JOIN {} {} ON {}.{} = {}").format(
                ident(schema, hop_table), ident(alias), ident(alias), ident(profile.row_id), link))
            link = sql.SQL("{}.{}").format(ident(alias), ident(hop_column))
    else:
        link = sql.SQL("w.{}").format(ident(_RID))
    joins.append(sql.SQL("LEFT JOIN {} c ON c.{} = {}").format(
        ident(schema, profile.case_table), ident(profile.row_id), link))
    if profile.users_table and user:
        joins.append(sql.SQL("LEFT JOIN {} u ON u.{} = w.{}").format(
            ident(schema, profile.users_table), ident(profile.user_id), ident(user)))
    users_joined = bool(profile.users_table and user)

    def user_column(column: str | None) -> Any:
        if column and users_joined:
            return sql.SQL("u.{}::text").format(ident(column))
        return sql.SQL("NULL::text")

    activity = (sql.SQL("w.{}::text").format(ident(rule.activity_column)) if rule.activity_column
                else sql.SQL("%(activity)s::text"))
    if rule.table == profile.case_table and not spec.object_key:
        object_id = sql.SQL("NULL::text")  # the event is about the case itself
    else:  # type/id: unique across tables, as object-centric logs need
        object_id = sql.SQL("%(object_type)s || '/' || w.{}::text").format(ident(spec.object_key or _RID))
    select = [
        sql.SQL("c.{}::text").format(ident(profile.case_key)),
        activity,
        _time(rule, profile, catalog),
        user_column(profile.user_name),
        user_column(profile.user_role),
        sql.SQL("%(object_type)s::text"),
        object_id,
        *[sql.SQL("c.{}::text").format(ident(a)) for a in profile.case_attributes],
    ]
    condition = sql.SQL("w.{col} IS NOT NULL AND w.{col} IS DISTINCT FROM w.{prev}").format(
        col=ident(rule.column), prev=ident(_PREV))
    params: dict[str, Any] = {"object_type": spec.object_type}
    if rule.activity is not None:
        params["activity"] = rule.activity
    if rule.to is not None:
        condition = sql.SQL("{} AND w.{} = ANY(%(to)s)").format(condition, ident(rule.column))
        params["to"] = list(rule.to)
    query = sql.SQL(
        "WITH v AS ({union}), w AS (SELECT v.*, lag(v.{col}) OVER (PARTITION BY v.{rid} ORDER BY v.{start}) "
        "AS {prev} FROM v) SELECT {select} FROM w {joins} WHERE {condition} ORDER BY w.{rid}, w.{start}"
    ).format(union=union, col=ident(rule.column), rid=ident(_RID), start=ident(_FROM), prev=ident(_PREV),
             select=sql.SQL(", ").join(select), joins=sql.SQL(" ").join(joins), condition=condition)
    return query, params


def _time(rule: EventRule, profile: ExtractionProfile, catalog: Catalog) -> Any:
    """COALESCE of the rule's time columns, each written as text in its type's format."""
    from psycopg import sql

    parts = []
    for column in rule.time:
        if column == PERIOD_START:
            zoned = catalog.type_of(rule.table, profile.period) == "tstzrange"
            value, typname = sql.SQL("w.{}").format(sql.Identifier(_FROM)), "timestamptz" if zoned else "timestamp"
        else:
            value, typname = sql.SQL("w.{}").format(sql.Identifier(column)), catalog.type_of(rule.table, column)
        if typname == "timestamptz":
            parts.append(sql.SQL("to_char({} AT TIME ZONE 'UTC', {})").format(value, sql.Literal(_UTC_FORMAT)))
        else:
            parts.append(sql.SQL("to_char({}, {})").format(value, sql.Literal(_TEXT_FORMATS[typname])))
    return parts[0] if len(parts) == 1 else sql.SQL("COALESCE({})").format(sql.SQL(", ").join(parts))
