"""Query expressions the apps share."""

from django.db.models import BooleanField, F, Func, QuerySet, Subquery


class AnyOf(Func):
    """``column IN (subquery)`` that PostgreSQL reads from the column's index even inside an OR.

    ``a = x OR b IN (SELECT …)`` makes PostgreSQL scan the whole table and test each row against the
    subquery; written ``b = ANY(ARRAY(SELECT …))`` the subquery runs once and each branch of the OR
    becomes an index scan (a BitmapOr): a member's booking list over 1,000,000 bookings reads their
    20,000 rows instead of all of them (docs/benchmarks.md). Other databases get the plain ``IN``.
    """

    output_field = BooleanField()

    def __init__(self, column: str, queryset: QuerySet) -> None:
        super().__init__(F(column), Subquery(queryset))

    def _sides(self, compiler, connection) -> tuple[str, str, tuple]:
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return column, subquery, (*column_params, *subquery_params)

    def as_sql(self, compiler, connection, **extra_context):
        column, subquery, params = self._sides(compiler, connection)
        return f"{column} IN {subquery}", params

    def as_postgresql(self, compiler, connection, **extra_context):
        column, subquery, params = self._sides(compiler, connection)
        return f"{column} = ANY(ARRAY{subquery})", params
