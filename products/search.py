"""PostgreSQL full-text search of products.

Each product's search document (name, weight A; description, weight B) is stored in the column
`search_document`, which migration 0017 adds on PostgreSQL only (the model does not declare it:
other databases search with LIKE), keeps in step with a trigger on every insert and on every
change of the name or description, and indexes with GIN. Matching (`@@`) and ranking then read
the stored document instead of parsing each candidate's text again.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db.models.expressions import RawSQL

SEARCH_CONFIG = "english"


def product_search_document() -> RawSQL:
    """The stored search document of the product being queried (PostgreSQL)."""
    return RawSQL("search_document", [], output_field=SearchVectorField())
