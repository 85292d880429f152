"""PostgreSQL full-text search of products: one expression, shared by queries and the GIN index.

The index (created by migration 0003 on PostgreSQL only) is on exactly the expression that
`product_search_vector()` compiles to, so the planner uses it for `@@` filters.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector

SEARCH_CONFIG = "english"


def product_search_vector() -> SearchVector:
    """Name (weight A) and description (weight B)."""
    return SearchVector("name", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "description", weight="B", config=SEARCH_CONFIG
    )
